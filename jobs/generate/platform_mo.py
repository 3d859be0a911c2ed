"""Macao platform (澳門): Portuguese column names, Traditional Chinese with Portuguese and English,
MOP written "MOP 2,500,000", DD/MM/YYYY dates, +853 numbers; projects come as a UTF-8 (BOM) CSV,
patents as a JSON document with the array under "patentes", talent as XML.
"""
from __future__ import annotations

from . import catalogue as cat
from . import rendering as r
from .feeds import CsvSink, JsonArraySink, XmlSink
from .spec import Batch, SourceSpec
from .sqlite_db import SqliteTable
from .variants import ABBREV, ENGLISH, IDFORMAT, SCRIPT, TYPO

PLATFORM = "mo"
STATUS = {"in_service": "Aberto", "maintenance": "Em manutenção", "suspended": "Suspenso", "retired": "Abatido"}
MODE = {"open": "Partilha aberta", "conditional": "Mediante marcação", "internal": "Uso interno"}
ORG_TYPE = {"university": "Instituição de ensino superior", "research_institute": "Instituto de investigação",
            "laboratory": "Laboratório de Referência do Estado", "large_facility": "Grande instalação científica",
            "innovation_platform": "Plataforma de inovação", "enterprise": "Empresa", "government": "Serviço público",
            "hospital": "Hospital", "other": "Outro"}
CATEGORY = {"03": "Base de investigação", "04": "Instituição de investigação"}
PROJECT_TYPE = {"14": "Projecto de investigação", "06": "Apoio financeiro"}
KIND = {"invention": "Patente de invenção", "utility": "Modelo de utilidade", "design": "Desenho ou modelo industrial"}

# ------------------------------------------------------------------------------ equipamento
EQUIPAMENTO = (("id_equipamento", "INTEGER"), ("designacao_chines", "VARCHAR(200)"),
               ("designacao_ingles", "VARCHAR(200)"), ("modelo", "VARCHAR(100)"), ("fabricante", "VARCHAR(100)"),
               ("numero_serie", "VARCHAR(40)"), ("valor_original", "VARCHAR(30)"), ("data_aquisicao", "VARCHAR(10)"),
               ("entidade", "VARCHAR(200)"), ("localizacao", "VARCHAR(300)"), ("regiao", "VARCHAR(30)"),
               ("estado", "VARCHAR(30)"), ("modo_partilha", "VARCHAR(30)"), ("contacto_nome", "VARCHAR(50)"),
               ("contacto_telefone", "VARCHAR(30)"), ("contacto_email", "VARCHAR(100)"),
               ("data_actualizacao", "DATETIME"), ("descricao", "TEXT"))


def render_equipamento(b: Batch) -> dict[str, list]:
    amt, cur = r.amounts(b, "MOP", keep_share=0.5)
    out = {
        "id_equipamento": b.ids, "designacao_chines": r.names_zh(b, "hant"), "designacao_ingles": r.names_en(b),
        "modelo": b.col("model"), "fabricante": b.col("maker"), "numero_serie": r.serials(b),
        "valor_original": r.money_texts(amt, cur, "symbol", "dollar", b.var),
        "data_aquisicao": r.dates(b, "date", "dmy"), "entidade": r.org_refs(b, b.arr("owner"), "hant"),
        "localizacao": r.locations_zh(b, "hant"), "regiao": r.region_labels(b, "pt"),
        "estado": [STATUS[s] for s in b.col("status")], "modo_partilha": [MODE[m] for m in b.col("mode")],
        "contacto_nome": b.col("contact_hant"), "contacto_telefone": r.phones(b, "853"),
        "contacto_email": b.col("email"), "data_actualizacao": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["descricao"] = r.describe(
        out, b.ids, (("Equipamento ", "designacao_chines"), ("modelo ", "modelo"), ("fabricante ", "fabricante"), ("localização: ", "localizacao")),
        "; ", ".")
    return out


# ------------------------------------------------------------------------------ instituicoes
INSTITUICOES = (("id_instituicao", "INTEGER"), ("nome_chines", "VARCHAR(200)"), ("nome_portugues", "VARCHAR(300)"),
                ("nome_ingles", "VARCHAR(300)"), ("sigla", "VARCHAR(50)"), ("tipo", "VARCHAR(60)"),
                ("categoria", "VARCHAR(40)"), ("entidade_tutela", "VARCHAR(200)"), ("morada", "VARCHAR(300)"),
                ("regiao", "VARCHAR(30)"), ("telefone", "VARCHAR(30)"), ("sitio_web", "VARCHAR(200)"),
                ("data_fundacao", "VARCHAR(10)"), ("data_actualizacao", "DATETIME"), ("descricao", "TEXT"))


def render_instituicoes(b: Batch) -> dict[str, list]:
    out = {
        "id_instituicao": b.ids, "nome_chines": r.names_zh(b, "hant", en_allowed=True),
        "nome_portugues": b.col("name_pt"), "nome_ingles": r.names_en(b), "sigla": b.col("abbr"),
        "tipo": [ORG_TYPE[t] for t in b.col("type")], "categoria": [CATEGORY[t] for t in b.col("rtype")],
        "entidade_tutela": r.org_refs(b, b.arr("parent_idx"), "hant", 0.0),
        "morada": [cat.to_hant(a) for a in b.col("addr")], "regiao": r.region_labels(b, "pt"),
        "telefone": r.phones(b, "853"), "sitio_web": b.col("web"), "data_fundacao": r.dates(b, "date", "dmy"),
        "data_actualizacao": r.updated(b),
    }
    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["descricao"] = r.describe(
        out, b.ids, (("", "nome_portugues"), ("", "tipo"), ("", "categoria"), ("morada: ", "morada")),
        "; ", ".")
    return out


# ------------------------------------------------------------------------------ projectos CSV
PROJECTO_FIELDS = ("n_registo", "codigo_projecto", "titulo_chines", "titulo_ingles", "tipo",
                   "entidade_financiadora", "instituicao_beneficiaria", "investigador_responsavel", "montante",
                   "data_inicio", "data_fim", "regiao", "resumo")


def render_projectos(b: Batch) -> dict[str, list]:
    amt, cur = r.amounts(b, "MOP", keep_share=0.5)
    out = {
        "n_registo": b.ids, "codigo_projecto": r.grants(b), "titulo_chines": r.names_zh(b, "hant"),
        "titulo_ingles": b.col("name_en"), "tipo": [PROJECT_TYPE[t] for t in b.col("rtype")],
        "entidade_financiadora": r.org_refs(b, b.arr("funder"), "pt", 0.2),
        "instituicao_beneficiaria": r.org_refs(b, b.arr("host"), "hant"),
        "investigador_responsavel": b.col("pi_hant"),
        "montante": r.money_texts(amt, cur, "symbol", "dollar", b.var),
        "data_inicio": r.dates(b, "date", "dmy"), "data_fim": r.dates(b, "end", "dmy"),
        "regiao": r.region_labels(b, "pt"),
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["resumo"] = r.describe(
        out, b.ids, (("", "titulo_ingles"), ("", "tipo"), ("instituição beneficiária: ", "instituicao_beneficiaria"), ("financiado por ", "entidade_financiadora")),
        "; ", ".")
    return out


# ------------------------------------------------------------------------------ patentes JSON
PATENTE_FIELDS = ("id", "numero", "titulo", "titulo_ingles", "tipo", "requerente", "inventores", "data_pedido",
                  "data_concessao", "regiao", "classificacao_ipc", "resumo")


def render_patentes(b: Batch) -> dict[str, list]:
    holders = r.org_refs(b, b.arr("holder"), "hant")
    co = r.org_refs(b, b.arr("co_holder"), "hant", 0.0)
    out = {
        "id": b.ids, "numero": r.patent_numbers(b, "plain", ("nodot", "cn")), "titulo": r.names_zh(b, "hant"),
        "titulo_ingles": b.col("name_en"), "tipo": [KIND[k] for k in b.col("pkind")],
        "requerente": [f"{h}; {c}" if c else h for h, c in zip(holders, co)],
        "inventores": ["; ".join(p) for p in b.col("inventors_hant")], "data_pedido": r.dates(b, "date", "dmy"),
        "data_concessao": r.dates(b, "grant", "dmy"), "regiao": r.region_labels(b, "pt"),
        "classificacao_ipc": b.col("ipc"),
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["resumo"] = r.describe(
        out, b.ids, (("", "tipo"), ("", "titulo_ingles"), ("requerente: ", "requerente"), ("IPC ", "classificacao_ipc")),
        "; ", ".")
    return out


# ------------------------------------------------------------------------------ talentos XML
TALENTO_FIELDS = ("codigo", "nome_chines", "nome_romanizado", "instituicao", "area_investigacao", "categoria",
                  "orcid", "email", "telefone", "regiao", "data_registo", "perfil")


def render_talentos(b: Batch) -> dict[str, list]:
    titles = cat.TITLES_MO
    out = {
        "codigo": b.ids, "nome_chines": r.names_zh(b, "hant"),
        "nome_romanizado": r.person_names_en(b, "sur", "given", "style"),
        "instituicao": r.org_refs(b, b.arr("affiliation"), "pt"), "area_investigacao": r.field_names(b, "pt"),
        "categoria": [titles[t % len(titles)][1] for t in b.col("title")], "orcid": r.orcids(b, "url"),
        "email": b.col("email"), "telefone": r.phones(b, "853"), "regiao": r.region_labels(b, "pt"),
        "data_registo": r.dates(b, "date", "dmy"),
    }    # the description (GB/T 30523 资源描述), in the platform's words, from the published values
    out["perfil"] = r.describe(
        out, b.ids, (("", "categoria"), ("", "instituicao"), ("área de investigação: ", "area_investigacao")),
        "; ", ".")
    return out


def sources() -> list[SourceSpec]:
    mo = {"MO": 1.0}
    return [
        SourceSpec(PLATFORM, "equipamento", "instrument", "sql", 0.025, mo, "id_equipamento", int,
                   render_equipamento,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "equipamento", EQUIPAMENTO, "id_equipamento"),
                   name_fields=("designacao_chines", "designacao_ingles"), date_field="data_aquisicao",
                   date_style="dmy", phone_field="contacto_telefone",
                   within_variants=(SCRIPT, ABBREV, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "instituicoes", "org", "sql", 0.007, mo, "id_instituicao", int, render_instituicoes,
                   lambda out, dbs: SqliteTable(out, dbs, PLATFORM, "instituicoes", INSTITUICOES, "id_instituicao"),
                   name_fields=("nome_chines", "nome_portugues", "nome_ingles", "sigla"), date_field="data_fundacao",
                   date_style="dmy", phone_field="telefone", within_variants=(SCRIPT, ABBREV, TYPO, ENGLISH)),
        SourceSpec(PLATFORM, "projectos", "project", "csv", 0.02, mo, "n_registo", lambda n: f"P{n:06d}",
                   render_projectos,
                   lambda out, dbs: CsvSink(out, f"{PLATFORM}/feeds/projectos", encoding="utf-8-sig"),
                   name_fields=("titulo_chines", "titulo_ingles"), date_field="data_inicio", date_style="dmy",
                   broken_rows=True, within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "patentes", "patent", "json", 0.015, mo, "id", lambda n: f"MOPAT-{n:06d}",
                   render_patentes,
                   lambda out, dbs: JsonArraySink(out, f"{PLATFORM}/feeds/patentes", "patentes", meta={
                       "fonte": "Direcção dos Serviços de Economia e Desenvolvimento Tecnológico",
                       "data_extraccao": "31/12/2025"}),
                   name_fields=("titulo", "titulo_ingles"), date_field="data_pedido", date_style="dmy",
                   within_variants=(SCRIPT, TYPO, IDFORMAT)),
        SourceSpec(PLATFORM, "talentos", "talent", "xml", 0.015, mo, "codigo", lambda n: f"MOT{n:06d}",
                   render_talentos,
                   lambda out, dbs: XmlSink(out, f"{PLATFORM}/feeds/talentos", root="talentos", record="talento"),
                   name_fields=("nome_chines", "nome_romanizado"), date_field="data_registo", date_style="dmy",
                   phone_field="telefone", within_variants=(SCRIPT, TYPO, IDFORMAT)),
    ]
