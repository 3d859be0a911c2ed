"""The cluster profile's HDFS paths at the protocol level: the raw zone (HdfsLake) and the drop
folder (HdfsDropFolder) through the real ``hdfs`` client, speaking WebHDFS REST to the real
NameNode and DataNode of the stack (``tests/servers/start.sh stack``; another one with
``BAYRES_TEST_WEBHDFS_URL``). Each test works in a directory of its own, removed afterwards;
the requests are recorded on the client's side (a ``requests`` hook), redirects included."""
from __future__ import annotations

import hashlib
import shutil
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from hdfs import InsecureClient

from bayres.connectors.drop_folder import FileChanged, HdfsDropFolder, LocalDropFolder, drop_folder_for
from bayres.connectors.lake import HdfsLake, LocalLake
from bayres.jobs.run.config import Profile
from bayres.jobs.extract.stage import extract_source

from tests import server_endpoints

DAY1, DAY2 = "2026-11-01", "2026-11-02"


class Hdfs:
    """The real WebHDFS endpoint, a directory of this test's own, and the requests sent to it."""

    def __init__(self, url: str):
        self.url = url
        self.root = f"/tmp/bayres-test-{uuid.uuid4().hex[:12]}"
        self.requests: list[tuple[str, str, str, int]] = []  # (method, op, path, status)
        self.session = requests.Session()
        self.session.hooks["response"].append(self._record)

    def _record(self, response, *args, **kwargs):
        url = urlsplit(response.request.url)
        op = parse_qs(url.query).get("op", [""])[0].upper()
        path = unquote(url.path.removeprefix("/webhdfs/v1")) or "/"
        self.requests.append((response.request.method, op, path, response.status_code))


@pytest.fixture
def hdfs():
    server_endpoints.require("hdfs")
    h = Hdfs(server_endpoints.WEBHDFS_URL)
    yield h
    InsecureClient(h.url, user="bayres").delete(h.root, recursive=True)


@pytest.fixture
def client(hdfs):
    return InsecureClient(hdfs.url, user="bayres", session=hdfs.session)


def csv_source():
    return {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
            "file": {"path": "sz/feeds/grants_*.csv", "encoding": "gb18030"}}


def feed_files(root):
    """Two deliveries in GB18030, one with a broken row, plus a file the glob must not match."""
    feeds = root / "sz" / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    (feeds / "grants_a.csv").write_bytes("id,name,amount\n1,深圳大学,100\n2,南方科技大学\n".encode("gb18030"))
    (feeds / "grants_b.csv").write_bytes("id,name,amount\n3,鹏城实验室,70\n".encode("gb18030"))
    (feeds / "other.csv").write_bytes(b"id\n9\n")
    (root / "sz" / "feeds" / "old").mkdir(exist_ok=True)
    (feeds / "old" / "grants_z.csv").write_bytes(b"id,name,amount\n8,x,1\n")  # one level deeper
    return root


def upload(client, local_root, hdfs_root):
    for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
        client.upload(f"{hdfs_root}/{path.relative_to(local_root).as_posix()}", str(path))


@pytest.mark.cluster
def test_raw_zone_on_hdfs_through_webhdfs(hdfs, client, tmp_path):
    lake = HdfsLake(hdfs.url, f"{hdfs.root}/lake", "bayres", client=client)
    drop = feed_files(tmp_path / "drop")
    first = extract_source(csv_source(), feeds_root=drop, database_urls={}, lake=lake,
                           run_date=DAY1, run_id="h1", batch_rows=1)
    second = extract_source(csv_source(), feeds_root=drop, database_urls={}, lake=lake,
                            run_date=DAY1, run_id="h2", batch_rows=1)
    directory = f"raw/sz/grants/{DAY1}"
    assert lake.list("raw/sz/grants") == [DAY1]  # replaced through a staged rename, not nested
    assert lake.list(directory) == ["_manifest.json", "part-00000.parquet", "part-00001.parquet",
                                    "part-00002.parquet"]
    assert lake.read_manifest(directory)["run_id"] == "h2"
    assert first["sha256"] == second["sha256"]
    data = lake.read_bytes(lake.join(directory, "part-00000.parquet"))
    assert hashlib.sha256(data).hexdigest() == second["parts"][0]["sha256"]
    # the protocol: a CREATE went NameNode → 307 → DataNode, and the commit was a RENAME
    creates = [r for r in hdfs.requests if r[1] == "CREATE"]
    assert creates and len(creates) % 2 == 0
    assert [r[3] for r in creates[:2]] == [307, 201]
    assert any(r[1] == "RENAME" and r[2].startswith(f"{hdfs.root}/lake/raw/sz/grants/")
               for r in hdfs.requests)
    with pytest.raises(FileExistsError):  # WebHDFS would move raw/sz *into* raw: refused
        lake.rename("raw/sz", "raw")


@pytest.mark.cluster
def test_hdfs_drop_folder_gives_what_the_local_one_gives(hdfs, client, tmp_path):
    local = feed_files(tmp_path / "drop")
    upload(client, local, f"{hdfs.root}/drop")
    remote = HdfsDropFolder(f"{hdfs.root}/drop", client=client)
    assert [n for n, _ in remote.files("sz/feeds/grants_*.csv")] == \
        [n for n, _ in LocalDropFolder(local).files("sz/feeds/grants_*.csv")] == \
        ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]
    assert [n for n, _ in remote.files("sz/*/grants_[ab].csv")] == ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]
    assert [n for n, _ in remote.files("sz/feeds/old/grants_z.csv")] == ["sz/feeds/old/grants_z.csv"]
    assert remote.files("hk/feeds/*.xml") == []  # a folder that does not exist: nothing to pick up
    with pytest.raises(ValueError, match="relative"):
        remote.files("../etc/*.csv")

    from_hdfs = extract_source(csv_source(), feeds_root=remote, database_urls={},
                               lake=LocalLake(tmp_path / "lake1"), run_date=DAY1, run_id="r")
    from_local = extract_source(csv_source(), feeds_root=local, database_urls={},
                                lake=LocalLake(tmp_path / "lake2"), run_date=DAY1, run_id="r")
    assert from_hdfs["rows"] == 3 and from_hdfs["error_rows"] == 1
    assert from_hdfs["sha256"] == from_local["sha256"]  # byte-identical raw parts
    assert from_hdfs["files_read"] == from_local["files_read"]

    # the ledger works the same on HDFS: the next day nothing is parsed, everything is carried
    lake = LocalLake(tmp_path / "lake1")
    nxt = extract_source(csv_source(), feeds_root=remote, database_urls={}, lake=lake,
                         run_date=DAY2, run_id="r2")
    assert nxt["files_read"] == [] and [f["name"] for f in nxt["files_carried"]] == \
        ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]


@pytest.mark.cluster
def test_a_file_changing_while_copied_is_quarantined(hdfs, client, tmp_path, monkeypatch):
    upload(client, feed_files(tmp_path / "drop"), f"{hdfs.root}/drop")
    remote = HdfsDropFolder(f"{hdfs.root}/drop", client=client)
    real_status = client.status

    def status(path, strict=True):  # the publisher rewrites grants_b.csv during the copy
        found = real_status(path, strict=strict)
        if found and path.endswith("grants_b.csv"):
            found = {**found, "modificationTime": found["modificationTime"] + 1}
        return found

    monkeypatch.setattr(client, "status", status)
    manifest = extract_source(csv_source(), feeds_root=remote, database_urls={},
                              lake=LocalLake(tmp_path / "lake"), run_date=DAY1, run_id="r")
    assert [f["name"] for f in manifest["files_read"]] == ["sz/feeds/grants_a.csv"]
    [bad] = manifest["files_quarantined"]
    assert bad["name"] == "sz/feeds/grants_b.csv" and "changed while it was copied" in bad["reason"]


def test_the_profile_picks_the_drop_folder(tmp_path):
    hdfs = Profile("cluster", {"sources": {"feeds_kind": "hdfs", "feeds_root": "/bayres/drop"},
                               "lake": {"url": "http://namenode:9870", "user": "bayres"}})
    folder = drop_folder_for(hdfs)
    assert isinstance(folder, HdfsDropFolder) and folder.root == "/bayres/drop"
    local = Profile("local", {"sources": {"feeds_root": str(tmp_path)}})
    assert isinstance(drop_folder_for(local), LocalDropFolder)
    with pytest.raises(ValueError, match="feeds_kind"):
        drop_folder_for(Profile("x", {"sources": {"feeds_kind": "ftp", "feeds_root": "/x"}}))
    shutil.rmtree(tmp_path, ignore_errors=True)


# ---------------------------------------------------------------- issue 19: no escape on HDFS either
@pytest.mark.cluster
def test_the_hdfs_drop_folder_refuses_links_and_paths_leaving_it(hdfs, client, tmp_path):
    """The real NameNode refuses to create a symbolic link (so none can be planted in a drop
    folder there); a listing entry that is one anyway is refused unopened, and so are names
    that leave the folder or address inodes (``/.reserved``)."""
    from bayres.connectors.drop_folder import OutsideDropFolder

    upload(client, feed_files(tmp_path / "drop"), f"{hdfs.root}/drop")
    answer = hdfs.session.put(f"{hdfs.url}/webhdfs/v1{hdfs.root}/drop/sz/feeds/grants_evil.csv",
                              params={"op": "CREATESYMLINK", "destination": "/etc/passwd",
                                      "user.name": "bayres"})
    assert answer.status_code >= 400 and "Symlinks not supported" in answer.text
    assert client.status(f"{hdfs.root}/drop/sz/feeds/grants_evil.csv", strict=False) is None
    remote = HdfsDropFolder(f"{hdfs.root}/drop", client=client)
    assert [n for n, _ in remote.files("sz/feeds/grants_*.csv")] == \
        ["sz/feeds/grants_a.csv", "sz/feeds/grants_b.csv"]
    [(name, status)] = remote.files("sz/feeds/grants_a.csv")
    link = {**status, "type": "SYMLINK", "symlink": "/etc/passwd"}  # as a cluster with links lists one
    with pytest.raises(OutsideDropFolder, match="is a symlink \\(to /etc/passwd\\), not a regular file"):
        remote.local_copy("sz/feeds/grants_evil.csv", link, tmp_path / "spool")
    for bad in ("sz/../../etc/passwd", "sz/./feeds/grants_a.csv", ".reserved/.inodes/16386"):
        with pytest.raises(OutsideDropFolder, match="not a path inside the drop folder"):
            remote.local_copy(bad, status, tmp_path / "spool")
    with pytest.raises(ValueError, match="reserved"):
        HdfsDropFolder("/.reserved/.inodes", client=client)
    assert not (tmp_path / "spool" / "drop" / "sz" / "feeds" / "grants_evil.csv").exists()


@pytest.mark.cluster
def test_a_file_renamed_onto_a_listed_name_is_never_read(hdfs, client, tmp_path):
    """Between the listing and the copy another file — one from outside the folder — is renamed
    onto a listed name: the copy reads the listed inode (``/.reserved/.inodes/<fileId>``), which
    is gone, and refuses; the other file's bytes are never read. A file renamed away and back
    (same inode) is read."""
    upload(client, feed_files(tmp_path / "drop"), f"{hdfs.root}/drop")
    remote = HdfsDropFolder(f"{hdfs.root}/drop", client=client)
    listed = dict(remote.files("sz/feeds/grants_*.csv"))
    client.write(f"{hdfs.root}/outside.csv", b"id,name,amount\n9,SECRET,1\n", overwrite=True)
    answer = hdfs.session.put(f"{hdfs.url}/webhdfs/v1{hdfs.root}/outside.csv", params={
        "op": "RENAME", "destination": f"{hdfs.root}/drop/sz/feeds/grants_b.csv",
        "renameoptions": "OVERWRITE", "user.name": "bayres"})  # rename(2)-style replace
    assert answer.status_code == 200, answer.text
    with client.read(f"{hdfs.root}/drop/sz/feeds/grants_b.csv") as now:
        assert b"SECRET" in now.read()
    hdfs.requests.clear()
    with pytest.raises(FileChanged, match="replaced or removed after it was listed"):
        remote.local_copy("sz/feeds/grants_b.csv", listed["sz/feeds/grants_b.csv"], tmp_path / "spool")
    spooled = tmp_path / "spool" / "drop" / "sz" / "feeds" / "grants_b.csv"
    assert not spooled.exists() or b"SECRET" not in spooled.read_bytes()
    assert [r[2] for r in hdfs.requests if r[1] == "OPEN"][:1] == \
        [f"/.reserved/.inodes/{listed['sz/feeds/grants_b.csv']['fileId']}"]
    # renamed away and back: the same inode, read
    a = f"{hdfs.root}/drop/sz/feeds/grants_a.csv"
    client.rename(a, f"{hdfs.root}/elsewhere.csv")
    client.rename(f"{hdfs.root}/elsewhere.csv", a)
    copy = remote.local_copy("sz/feeds/grants_a.csv", listed["sz/feeds/grants_a.csv"], tmp_path / "spool")
    assert copy.read_bytes() == (tmp_path / "drop" / "sz" / "feeds" / "grants_a.csv").read_bytes()
    # through the extraction: the replaced file is quarantined with the reason, the other read
    manifest = extract_source(csv_source(), feeds_root=_Listed(remote, listed), database_urls={},
                              lake=LocalLake(tmp_path / "lake"), run_date=DAY1, run_id="r")
    assert [f["name"] for f in manifest["files_read"]] == ["sz/feeds/grants_a.csv"]
    [bad] = manifest["files_quarantined"]
    assert bad["name"] == "sz/feeds/grants_b.csv" and bad["sha256"] is None
    assert "replaced or removed after it was listed" in bad["reason"]


class _Listed:
    """The drop folder as it was listed before the swap (the listing and the copy of one run
    are apart in time: here the swap falls between them)."""

    def __init__(self, folder, listed):
        self.folder, self.listed = folder, listed

    def files(self, pattern):
        return sorted(self.listed.items())

    def local_copy(self, name, handle, spool):
        return self.folder.local_copy(name, handle, spool)
