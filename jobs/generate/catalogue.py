"""The generator's knowledge of the Greater Bay Area: places, organisations, people's names and
the vocabularies resources are named from.

This is sample-data knowledge, not pipeline configuration: the pipeline never imports it.
Organisations are real GBA names in every script they are published in; founding dates are
approximate and credit codes are synthetic (checksum-valid, derived from the key) — never use
them as facts.  Pools whose Traditional form is not given are converted with OpenCC ``s2hk``.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc

_S2HK = opencc.OpenCC("s2hk")


@lru_cache(maxsize=1 << 16)
def to_hant(text: str) -> str:
    """Simplified → Hong Kong Traditional (OpenCC s2hk)."""
    return _S2HK.convert(text)


# ------------------------------------------------------------------------------------ regions
@dataclass(frozen=True)
class Region:
    code: str          # vocab/region.yaml
    hans: str
    hant: str
    en: str
    pt: str
    admin: str         # GB/T 2260 administrative division code (the GZ platform's code list)
    area: str          # telephone area code ('' for HK/MO: no trunk prefix)
    cc: str            # country calling code


REGIONS: dict[str, Region] = {r.code: r for r in (
    Region("GZ", "广州市", "廣州市", "Guangzhou", "Cantão", "440100", "20", "86"),
    Region("SZ", "深圳市", "深圳市", "Shenzhen", "Shenzhen", "440300", "755", "86"),
    Region("ZH", "珠海市", "珠海市", "Zhuhai", "Zhuhai", "440400", "756", "86"),
    Region("FS", "佛山市", "佛山市", "Foshan", "Foshan", "440600", "757", "86"),
    Region("JM", "江门市", "江門市", "Jiangmen", "Jiangmen", "440700", "750", "86"),
    Region("ZQ", "肇庆市", "肇慶市", "Zhaoqing", "Zhaoqing", "441200", "758", "86"),
    Region("HZ", "惠州市", "惠州市", "Huizhou", "Huizhou", "441300", "752", "86"),
    Region("DG", "东莞市", "東莞市", "Dongguan", "Dongguan", "441900", "769", "86"),
    Region("ZS", "中山市", "中山市", "Zhongshan", "Zhongshan", "442000", "760", "86"),
    Region("HK", "香港", "香港", "Hong Kong", "Hong Kong", "810000", "", "852"),
    Region("MO", "澳门", "澳門", "Macao", "Macau", "820000", "", "853"),
)}
MAINLAND = ("GZ", "SZ", "ZH", "FS", "JM", "ZQ", "HZ", "DG", "ZS")


# ------------------------------------------------------------------------------ organisations
@dataclass(frozen=True)
class Org:
    """A real organisation: every name it is published under, and what it is."""

    key: str
    hans: str
    en: str
    type: str                  # vocab/org_type.yaml
    region: str                # '' = outside the GBA (referenced as parent/funder, never emitted)
    founded: str = "2000-01-01"
    hant: str = ""             # default: to_hant(hans)
    pt: str = ""
    abbr: str = ""             # English abbreviation (HKUST)
    abbr_zh: str = ""          # Chinese short name (港科大), in the home script
    parent: str = ""           # key of the parent organisation
    web: str = ""
    addr: str = ""             # address in the home script
    addr_en: str = ""
    domain: str = ""           # e-mail domain
    weight: float = 1.0        # how often it owns instruments, hosts people, holds patents
    former_zh: str = ""        # a former name (home script), published by platforms not yet updated
    former_en: str = ""


ORGS: tuple[Org, ...] = (
    # ---- Hong Kong universities
    Org("HKU", "香港大学", "The University of Hong Kong", "university", "HK", "1911-03-16", "香港大學",
        abbr="HKU", abbr_zh="港大", web="https://www.hku.hk", addr="香港薄扶林道",
        addr_en="Pokfulam Road, Hong Kong", domain="hku.hk", weight=8),
    Org("CUHK", "香港中文大学", "The Chinese University of Hong Kong", "university", "HK", "1963-10-17",
        "香港中文大學", abbr="CUHK", abbr_zh="中大", web="https://www.cuhk.edu.hk", addr="香港新界沙田",
        addr_en="Sha Tin, New Territories, Hong Kong", domain="cuhk.edu.hk", weight=8),
    Org("HKUST", "香港科技大学", "The Hong Kong University of Science and Technology", "university", "HK",
        "1991-10-10", "香港科技大學", abbr="HKUST", abbr_zh="港科大", web="https://hkust.edu.hk",
        addr="香港九龍清水灣", addr_en="Clear Water Bay, Kowloon, Hong Kong", domain="ust.hk", weight=8),
    Org("POLYU", "香港理工大学", "The Hong Kong Polytechnic University", "university", "HK", "1937-01-01",
        "香港理工大學", abbr="PolyU", abbr_zh="理大", web="https://www.polyu.edu.hk", addr="香港九龍紅磡",
        addr_en="Hung Hom, Kowloon, Hong Kong", domain="polyu.edu.hk", weight=6),
    Org("CITYU", "香港城市大学", "City University of Hong Kong", "university", "HK", "1984-01-01",
        "香港城市大學", abbr="CityU", abbr_zh="城大", web="https://www.cityu.edu.hk",
        addr="香港九龍塘達之路", addr_en="Tat Chee Avenue, Kowloon, Hong Kong", domain="cityu.edu.hk",
        weight=6),
    Org("HKBU", "香港浸会大学", "Hong Kong Baptist University", "university", "HK", "1956-09-01",
        "香港浸會大學", abbr="HKBU", abbr_zh="浸大", web="https://www.hkbu.edu.hk",
        addr="香港九龍塘窩打老道224號", addr_en="224 Waterloo Road, Kowloon Tong, Hong Kong",
        domain="hkbu.edu.hk", weight=4),
    Org("EDUHK", "香港教育大学", "The Education University of Hong Kong", "university", "HK", "1994-04-25",
        "香港教育大學", abbr="EdUHK", abbr_zh="教大", web="https://www.eduhk.hk",
        addr="香港新界大埔露屏路10號", addr_en="10 Lo Ping Road, Tai Po, New Territories, Hong Kong",
        domain="eduhk.hk", weight=2),
    Org("LINGNANU", "岭南大学", "Lingnan University", "university", "HK", "1967-01-01", "嶺南大學",
        abbr="LingnanU", abbr_zh="嶺大", web="https://www.ln.edu.hk", addr="香港新界屯門",
        addr_en="Tuen Mun, New Territories, Hong Kong", domain="ln.edu.hk", weight=2),
    Org("HKU-SKLSC", "合成化学国家重点实验室（香港大学）",
        "State Key Laboratory of Synthetic Chemistry (The University of Hong Kong)", "laboratory", "HK",
        "2010-01-01", "合成化學國家重點實驗室（香港大學）", abbr="SKLSC", parent="HKU",
        web="https://www.hku.hk", addr="香港薄扶林道", addr_en="Pokfulam Road, Hong Kong",
        domain="hku.hk", weight=2),
    Org("CUHK-SKLAB", "农业生物技术国家重点实验室（香港中文大学）",
        "State Key Laboratory of Agrobiotechnology (The Chinese University of Hong Kong)", "laboratory",
        "HK", "2008-01-01", "農業生物技術國家重點實驗室（香港中文大學）", abbr="SKLAB", parent="CUHK",
        web="https://www.cuhk.edu.hk", addr="香港新界沙田", addr_en="Sha Tin, New Territories, Hong Kong",
        domain="cuhk.edu.hk", weight=2),
    # ---- Hong Kong R&D bodies and government
    Org("HKSTP", "香港科技园公司", "Hong Kong Science and Technology Parks Corporation",
        "innovation_platform", "HK", "2001-05-07", "香港科技園公司", abbr="HKSTP", abbr_zh="科技園",
        web="https://www.hkstp.org", addr="香港新界沙田白石角香港科學園",
        addr_en="Hong Kong Science Park, Pak Shek Kok, Shatin, New Territories", domain="hkstp.org",
        weight=4),
    Org("ASTRI", "香港应用科技研究院", "Hong Kong Applied Science and Technology Research Institute",
        "research_institute", "HK", "2000-01-01", "香港應用科技研究院", abbr="ASTRI", abbr_zh="應科院",
        web="https://www.astri.org", addr="香港新界沙田香港科學園",
        addr_en="Hong Kong Science Park, Shatin, New Territories", domain="astri.org", weight=4),
    Org("LSCM", "物流及供应链多元技术研发中心", "Logistics and Supply Chain MultiTech R&D Centre",
        "research_institute", "HK", "2006-04-01", "物流及供應鏈多元技術研發中心", abbr="LSCM",
        web="https://www.lscm.hk", addr="香港薄扶林數碼港道100號",
        addr_en="100 Cyberport Road, Pokfulam, Hong Kong", domain="lscm.hk", weight=1),
    Org("NAMI", "纳米及先进材料研发院", "Nano and Advanced Materials Institute", "research_institute", "HK",
        "2006-04-01", "納米及先進材料研發院", abbr="NAMI", web="https://www.nami.org.hk",
        addr="香港新界沙田香港科學園", addr_en="Hong Kong Science Park, Shatin, New Territories",
        domain="nami.org.hk", weight=1),
    Org("HKPC", "香港生产力促进局", "Hong Kong Productivity Council", "other", "HK", "1967-01-01",
        "香港生產力促進局", abbr="HKPC", abbr_zh="生產力局", web="https://www.hkpc.org",
        addr="香港九龍達之路78號", addr_en="78 Tat Chee Avenue, Kowloon, Hong Kong", domain="hkpc.org"),
    Org("ITC", "创新科技署", "Innovation and Technology Commission", "government", "HK", "2000-07-01",
        "創新科技署", abbr="ITC", web="https://www.itc.gov.hk", addr="香港添馬添美道2號",
        addr_en="2 Tim Mei Avenue, Tamar, Hong Kong", domain="itc.gov.hk", weight=0.2),
    Org("RGC", "研究资助局", "Research Grants Council", "government", "HK", "1991-01-01", "研究資助局",
        abbr="RGC", web="https://www.ugc.edu.hk/eng/rgc/", addr="香港灣仔港灣道6-8號",
        addr_en="6-8 Harbour Road, Wan Chai, Hong Kong", domain="ugc.edu.hk", weight=0.2),
    # ---- Macao
    Org("UM", "澳门大学", "University of Macau", "university", "MO", "1981-03-28", "澳門大學",
        pt="Universidade de Macau", abbr="UM", abbr_zh="澳大", web="https://www.um.edu.mo",
        addr="澳門氹仔大學大馬路", addr_en="Avenida da Universidade, Taipa, Macau", domain="um.edu.mo",
        weight=8),
    Org("UM-SKLAMSV", "模拟与混合信号超大规模集成电路国家重点实验室",
        "State Key Laboratory of Analog and Mixed-Signal VLSI", "laboratory", "MO", "2011-01-01",
        "模擬與混合信號超大規模集成電路國家重點實驗室",
        pt="Laboratório de Referência do Estado de Circuitos Integrados Analógicos e Mistos de Muito "
           "Larga Escala", abbr="AMSV", parent="UM", web="https://amsv.um.edu.mo",
        addr="澳門氹仔大學大馬路澳門大學", addr_en="University of Macau, Avenida da Universidade, Taipa, Macau",
        domain="um.edu.mo", weight=3),
    Org("UM-SKLIOTSC", "智慧城市物联网国家重点实验室", "State Key Laboratory of Internet of Things for Smart City",
        "laboratory", "MO", "2018-01-01", "智慧城市物聯網國家重點實驗室",
        pt="Laboratório de Referência do Estado de Internet das Coisas para a Cidade Inteligente",
        abbr="SKL-IOTSC", parent="UM", web="https://skliotsc.um.edu.mo", addr="澳門氹仔大學大馬路澳門大學",
        addr_en="University of Macau, Avenida da Universidade, Taipa, Macau", domain="um.edu.mo",
        weight=3),
    Org("UM-SKLQRCM", "中药质量研究国家重点实验室", "State Key Laboratory of Quality Research in Chinese Medicine",
        "laboratory", "MO", "2011-01-01", "中藥質量研究國家重點實驗室",
        pt="Laboratório de Referência do Estado em Investigação da Qualidade da Medicina Chinesa",
        abbr="SKL-QRCM", parent="UM", web="https://sklqrcm.um.edu.mo", addr="澳門氹仔大學大馬路澳門大學",
        addr_en="University of Macau, Avenida da Universidade, Taipa, Macau", domain="um.edu.mo",
        weight=2),
    Org("MUST", "澳门科技大学", "Macau University of Science and Technology", "university", "MO",
        "2000-03-21", "澳門科技大學", pt="Universidade de Ciência e Tecnologia de Macau", abbr="MUST",
        abbr_zh="澳科大", web="https://www.must.edu.mo", addr="澳門氹仔偉龍馬路",
        addr_en="Avenida Wai Long, Taipa, Macau", domain="must.edu.mo", weight=5),
    Org("MUST-SKLLPS", "月球与行星科学国家重点实验室", "State Key Laboratory of Lunar and Planetary Sciences",
        "laboratory", "MO", "2018-10-01", "月球與行星科學國家重點實驗室",
        pt="Laboratório de Referência do Estado de Ciências Lunares e Planetárias", abbr="SKL-LPS",
        parent="MUST", web="https://www.must.edu.mo", addr="澳門氹仔偉龍馬路澳門科技大學",
        addr_en="Macau University of Science and Technology, Avenida Wai Long, Taipa, Macau",
        domain="must.edu.mo", weight=2),
    Org("MPU", "澳门理工大学", "Macao Polytechnic University", "university", "MO", "1991-09-16",
        "澳門理工大學", pt="Universidade Politécnica de Macau", abbr="MPU", abbr_zh="澳理大",
        web="https://www.mpu.edu.mo", addr="澳門高美士街", addr_en="Rua de Luís Gonzaga Gomes, Macau",
        domain="mpu.edu.mo", weight=3),
    Org("CITYUM", "澳门城市大学", "City University of Macau", "university", "MO", "1981-01-01",
        "澳門城市大學", pt="Universidade da Cidade de Macau", abbr="CityU Macau", abbr_zh="澳城大",
        web="https://www.cityu.edu.mo", addr="澳門氹仔徐日昇寅公馬路",
        addr_en="Avenida Padre Tomás Pereira, Taipa, Macau", domain="cityu.edu.mo", weight=2),
    Org("KIANGWU", "镜湖医院", "Kiang Wu Hospital", "hospital", "MO", "1871-01-01", "鏡湖醫院",
        pt="Hospital Kiang Wu", abbr="KWH", web="https://www.kwh.org.mo", addr="澳門連勝街33號",
        addr_en="33 Estrada do Repouso, Macau", domain="kwh.org.mo"),
    Org("FDCT", "澳门科学技术发展基金", "Science and Technology Development Fund", "government", "MO",
        "2004-06-01", "澳門科學技術發展基金",
        pt="Fundo para o Desenvolvimento das Ciências e da Tecnologia", abbr="FDCT", abbr_zh="科技基金",
        web="https://www.fdct.gov.mo", addr="澳門友誼大馬路918號", addr_en="918 Avenida da Amizade, Macau",
        domain="fdct.gov.mo", weight=0.2),
    Org("DSEDT", "经济及科技发展局", "Economic and Technological Development Bureau", "government", "MO",
        "2021-01-01", "經濟及科技發展局",
        pt="Direcção dos Serviços de Economia e Desenvolvimento Tecnológico", abbr="DSEDT",
        web="https://www.dsedt.gov.mo", addr="澳門羅理基博士大馬路", addr_en="Avenida Dr. Rodrigo Rodrigues, Macau",
        domain="dsedt.gov.mo", weight=0.2),
    # ---- Guangzhou
    Org("SYSU", "中山大学", "Sun Yat-sen University", "university", "GZ", "1924-11-11", "中山大學",
        abbr="SYSU", web="https://www.sysu.edu.cn", addr="广州市海珠区新港西路135号",
        addr_en="135 Xingang Xi Road, Haizhu District, Guangzhou", domain="mail.sysu.edu.cn", weight=9),
    Org("SCUT", "华南理工大学", "South China University of Technology", "university", "GZ", "1952-11-17",
        "華南理工大學", abbr="SCUT", abbr_zh="华工", web="https://www.scut.edu.cn",
        addr="广州市天河区五山路381号", addr_en="381 Wushan Road, Tianhe District, Guangzhou",
        domain="scut.edu.cn", weight=8),
    Org("JNU", "暨南大学", "Jinan University", "university", "GZ", "1906-01-01", "暨南大學", abbr="JNU",
        abbr_zh="暨大", web="https://www.jnu.edu.cn", addr="广州市天河区黄埔大道西601号",
        addr_en="601 Huangpu Avenue West, Tianhe District, Guangzhou", domain="jnu.edu.cn", weight=5),
    Org("GDUT", "广东工业大学", "Guangdong University of Technology", "university", "GZ", "1958-01-01",
        "廣東工業大學", abbr="GDUT", abbr_zh="广工", web="https://www.gdut.edu.cn",
        addr="广州市番禺区广州大学城外环西路100号",
        addr_en="100 Waihuan Xi Road, Higher Education Mega Center, Panyu District, Guangzhou",
        domain="gdut.edu.cn", weight=5),
    Org("SCNU", "华南师范大学", "South China Normal University", "university", "GZ", "1933-01-01",
        "華南師範大學", abbr="SCNU", abbr_zh="华师", web="https://www.scnu.edu.cn",
        addr="广州市天河区中山大道西55号", addr_en="55 Zhongshan Avenue West, Tianhe District, Guangzhou",
        domain="scnu.edu.cn", weight=4),
    Org("HKUST-GZ", "香港科技大学（广州）", "The Hong Kong University of Science and Technology (Guangzhou)",
        "university", "GZ", "2022-06-01", "香港科技大學（廣州）", abbr="HKUST(GZ)", abbr_zh="港科大（广州）",
        web="https://www.hkust-gz.edu.cn", addr="广州市南沙区黄阁镇大学路1号",
        addr_en="1 Du Xue Road, Nansha District, Guangzhou", domain="hkust-gz.edu.cn", weight=4),
    Org("CAS", "中国科学院", "Chinese Academy of Sciences", "research_institute", "", "1949-11-01",
        "中國科學院", abbr="CAS", web="https://www.cas.cn"),
    Org("IHEP", "中国科学院高能物理研究所", "Institute of High Energy Physics, Chinese Academy of Sciences",
        "research_institute", "", "1973-02-01", "中國科學院高能物理研究所", abbr="IHEP", parent="CAS"),
    Org("GIBH", "中国科学院广州生物医药与健康研究院",
        "Guangzhou Institutes of Biomedicine and Health, Chinese Academy of Sciences", "research_institute",
        "GZ", "2004-01-01", "中國科學院廣州生物醫藥與健康研究院", abbr="GIBH", abbr_zh="广州生物院",
        parent="CAS", web="https://www.gibh.ac.cn", addr="广州市黄埔区开源大道190号",
        addr_en="190 Kaiyuan Avenue, Huangpu District, Guangzhou", domain="gibh.ac.cn", weight=4),
    Org("SCSIO", "中国科学院南海海洋研究所", "South China Sea Institute of Oceanology, Chinese Academy of Sciences",
        "research_institute", "GZ", "1959-01-01", "中國科學院南海海洋研究所", abbr="SCSIO", abbr_zh="南海所",
        parent="CAS", web="http://www.scsio.ac.cn", addr="广州市海珠区新港西路164号",
        addr_en="164 Xingang Xi Road, Haizhu District, Guangzhou", domain="scsio.ac.cn", weight=4),
    Org("NSCC-GZ", "国家超级计算广州中心", "National Supercomputer Center in Guangzhou", "large_facility", "GZ",
        "2013-01-01", "國家超級計算廣州中心", abbr="NSCC-GZ", abbr_zh="广州超算", parent="SYSU",
        web="http://www.nscc-gz.cn", addr="广州市番禺区大学城中山大学东校区",
        addr_en="Sun Yat-sen University East Campus, Panyu District, Guangzhou", domain="nscc-gz.cn",
        weight=2),
    Org("GZLAB", "广州实验室", "Guangzhou Laboratory", "laboratory", "GZ", "2020-03-01", "廣州實驗室",
        abbr="GZLab", web="https://www.gzlab.ac.cn", addr="广州市黄埔区兴道环北路9号",
        addr_en="9 Xingdaohuan North Road, Huangpu District, Guangzhou", domain="gzlab.ac.cn", weight=4),
    Org("SML-GZ", "南方海洋科学与工程广东省实验室（广州）",
        "Southern Marine Science and Engineering Guangdong Laboratory (Guangzhou)", "laboratory", "GZ",
        "2018-12-01", "南方海洋科學與工程廣東省實驗室（廣州）", abbr="GML", parent="SCSIO",
        web="https://www.gmlab.ac.cn", addr="广州市南沙区海滨路1119号",
        addr_en="1119 Haibin Road, Nansha District, Guangzhou", domain="gmlab.ac.cn", weight=2),
    Org("GDAS", "广东省科学院", "Guangdong Academy of Sciences", "research_institute", "GZ", "1958-01-01",
        "廣東省科學院", abbr="GDAS", abbr_zh="广东科学院", web="http://www.gdas.gd.cn",
        addr="广州市越秀区先烈中路100号", addr_en="100 Xianlie Zhong Road, Yuexiu District, Guangzhou",
        domain="gdas.gd.cn", weight=3),
    Org("GDPH", "广东省人民医院", "Guangdong Provincial People's Hospital", "hospital", "GZ", "1946-01-01",
        "廣東省人民醫院", abbr="GDPH", abbr_zh="省医", web="https://www.gdghospital.org.cn",
        addr="广州市越秀区中山二路106号", addr_en="106 Zhongshan Er Road, Yuexiu District, Guangzhou",
        domain="gdph.org.cn", weight=2),
    Org("GDSTC", "广东省科学技术厅", "Department of Science and Technology of Guangdong Province", "government",
        "GZ", "1978-01-01", "廣東省科學技術廳", abbr="GDSTC", abbr_zh="省科技厅", web="http://gdstc.gd.gov.cn",
        addr="广州市越秀区连新路171号", addr_en="171 Lianxin Road, Yuexiu District, Guangzhou",
        domain="gdstc.gd.gov.cn", weight=0.2),
    Org("GZSTB", "广州市科学技术局", "Guangzhou Municipal Science and Technology Bureau", "government", "GZ",
        "1979-01-01", "廣州市科學技術局", abbr="GZSTB", abbr_zh="广州市科技局", web="https://kjj.gz.gov.cn",
        addr="广州市越秀区东风中路", addr_en="Dongfeng Zhong Road, Yuexiu District, Guangzhou",
        domain="gz.gov.cn", weight=0.2),
    # ---- other Guangdong cities
    Org("CSNS", "中国散裂中子源", "China Spallation Neutron Source", "large_facility", "DG", "2018-08-23",
        "中國散裂中子源", abbr="CSNS", abbr_zh="散裂中子源", parent="IHEP", web="http://csns.ihep.ac.cn",
        addr="东莞市大朗镇中子源路1号", addr_en="1 Zhongziyuan Road, Dalang, Dongguan", domain="ihep.ac.cn",
        weight=3),
    Org("SSLAB", "松山湖材料实验室", "Songshan Lake Materials Laboratory", "laboratory", "DG", "2018-04-01",
        "松山湖材料實驗室", abbr="SLAB", web="https://www.sslab.org.cn", addr="东莞市松山湖大学创新城A1栋",
        addr_en="Building A1, University Innovation Park, Songshan Lake, Dongguan", domain="sslab.org.cn",
        weight=3),
    Org("DGUT", "东莞理工学院", "Dongguan University of Technology", "university", "DG", "1990-01-01",
        "東莞理工學院", abbr="DGUT", abbr_zh="东莞理工", web="https://www.dgut.edu.cn",
        addr="东莞市松山湖大学路1号", addr_en="1 Daxue Road, Songshan Lake, Dongguan", domain="dgut.edu.cn",
        weight=2),
    Org("JHLAB", "季华实验室", "Ji Hua Laboratory", "laboratory", "FS", "2018-01-01", "季華實驗室",
        abbr="JHLab", web="https://www.jihualab.com", addr="佛山市南海区桂城街道环岛南路28号",
        addr_en="28 Huandao South Road, Guicheng, Nanhai District, Foshan", domain="jihualab.ac.cn",
        weight=3),
    Org("FOSU", "佛山大学", "Foshan University", "university", "FS", "1958-01-01", "佛山大學", abbr="FOSU",
        web="https://www.fosu.edu.cn", addr="佛山市禅城区江湾一路18号",
        addr_en="18 Jiangwan 1st Road, Chancheng District, Foshan", domain="fosu.edu.cn", weight=2),
    Org("SML-ZH", "南方海洋科学与工程广东省实验室（珠海）",
        "Southern Marine Science and Engineering Guangdong Laboratory (Zhuhai)", "laboratory", "ZH",
        "2018-12-01", "南方海洋科學與工程廣東省實驗室（珠海）", abbr="SML-Zhuhai", parent="SYSU",
        web="https://www.sml-zhuhai.cn", addr="珠海市香洲区唐家湾镇",
        addr_en="Tangjiawan, Xiangzhou District, Zhuhai", domain="sml-zhuhai.cn", weight=2),
    Org("ZCST", "珠海科技学院", "Zhuhai College of Science and Technology", "university", "ZH", "2004-01-01",
        "珠海科技學院", abbr="ZCST", web="https://www.zcst.edu.cn", addr="珠海市金湾区安基东路8号",
        addr_en="8 Anji East Road, Jinwan District, Zhuhai", domain="zcst.edu.cn", weight=1),
    Org("HZU", "惠州学院", "Huizhou University", "university", "HZ", "1946-01-01", "惠州學院", abbr="HZU",
        web="https://www.hzu.edu.cn", addr="惠州市惠城区演达大道46号",
        addr_en="46 Yanda Avenue, Huicheng District, Huizhou", domain="hzu.edu.cn", weight=1),
    Org("AESLAB", "先进能源科学与技术广东省实验室", "Advanced Energy Science and Technology Guangdong Laboratory",
        "laboratory", "HZ", "2019-01-01", "先進能源科學與技術廣東省實驗室", abbr="AESTGL",
        web="https://www.aestlab.cn", addr="惠州市惠城区", addr_en="Huicheng District, Huizhou",
        domain="aestlab.cn", weight=1),
    Org("UESTC-ZS", "电子科技大学中山学院", "University of Electronic Science and Technology of China, Zhongshan Institute",
        "university", "ZS", "2002-01-01", "電子科技大學中山學院", abbr="UESTC-ZSC", web="https://www.zsc.edu.cn",
        addr="中山市石岐区学院路1号", addr_en="1 Xueyuan Road, Shiqi District, Zhongshan", domain="zsc.edu.cn",
        weight=1),
    Org("WYU", "五邑大学", "Wuyi University", "university", "JM", "1985-01-01", "五邑大學", abbr="WYU",
        web="https://www.wyu.edu.cn", addr="江门市蓬江区东成村22号",
        addr_en="22 Dongcheng Village, Pengjiang District, Jiangmen", domain="wyu.edu.cn", weight=1),
    Org("JUNO", "江门中微子实验站", "Jiangmen Underground Neutrino Observatory", "large_facility", "JM",
        "2015-01-10", "江門中微子實驗站", abbr="JUNO", parent="IHEP", web="http://juno.ihep.cas.cn",
        addr="江门市开平市金鸡镇", addr_en="Jinji Town, Kaiping, Jiangmen", domain="ihep.ac.cn", weight=1),
    Org("ZQU", "肇庆学院", "Zhaoqing University", "university", "ZQ", "1970-01-01", "肇慶學院", abbr="ZQU",
        web="https://www.zqu.edu.cn", addr="肇庆市端州区肇庆大道", addr_en="Zhaoqing Avenue, Duanzhou District, Zhaoqing",
        domain="zqu.edu.cn", weight=1),
    # ---- Shenzhen
    Org("SUSTECH", "南方科技大学", "Southern University of Science and Technology", "university", "SZ",
        "2011-12-01", "南方科技大學", abbr="SUSTech", abbr_zh="南科大", web="https://www.sustech.edu.cn",
        addr="深圳市南山区学苑大道1088号", addr_en="1088 Xueyuan Avenue, Nanshan District, Shenzhen",
        domain="sustech.edu.cn", weight=7),
    Org("SZU", "深圳大学", "Shenzhen University", "university", "SZ", "1983-05-01", "深圳大學", abbr="SZU",
        abbr_zh="深大", web="https://www.szu.edu.cn", addr="深圳市南山区南海大道3688号",
        addr_en="3688 Nanhai Avenue, Nanshan District, Shenzhen", domain="szu.edu.cn", weight=6),
    Org("HIT", "哈尔滨工业大学", "Harbin Institute of Technology", "university", "", "1920-01-01",
        "哈爾濱工業大學", abbr="HIT"),
    Org("HITSZ", "哈尔滨工业大学（深圳）", "Harbin Institute of Technology, Shenzhen", "university", "SZ",
        "2002-01-01", "哈爾濱工業大學（深圳）", abbr="HITSZ", abbr_zh="哈工大（深圳）", parent="HIT",
        web="https://www.hitsz.edu.cn", addr="深圳市南山区西丽大学城",
        addr_en="University Town, Xili, Nanshan District, Shenzhen", domain="hit.edu.cn", weight=4),
    Org("TSINGHUA", "清华大学", "Tsinghua University", "university", "", "1911-04-29", "清華大學",
        abbr="THU"),
    Org("SIGS", "清华大学深圳国际研究生院", "Tsinghua Shenzhen International Graduate School", "university", "SZ",
        "2019-04-01", "清華大學深圳國際研究生院", abbr="Tsinghua SIGS", abbr_zh="清华深研院", parent="TSINGHUA",
        web="https://www.sigs.tsinghua.edu.cn", addr="深圳市南山区西丽大学城清华校区",
        addr_en="Tsinghua Campus, University Town, Nanshan District, Shenzhen",
        domain="sz.tsinghua.edu.cn", weight=4),
    Org("PKU", "北京大学", "Peking University", "university", "", "1898-07-03", "北京大學", abbr="PKU"),
    Org("PKUSZ", "北京大学深圳研究生院", "Peking University Shenzhen Graduate School", "university", "SZ",
        "2001-01-01", "北京大學深圳研究生院", abbr="PKUSZ", abbr_zh="北大深研院", parent="PKU",
        web="https://www.pkusz.edu.cn", addr="深圳市南山区西丽大学城北大校区",
        addr_en="PKU Campus, University Town, Nanshan District, Shenzhen", domain="pku.edu.cn", weight=4),
    Org("CUHK-SZ", "香港中文大学（深圳）", "The Chinese University of Hong Kong, Shenzhen", "university", "SZ",
        "2014-10-01", "香港中文大學（深圳）", abbr="CUHK-Shenzhen", abbr_zh="港中大（深圳）",
        web="https://www.cuhk.edu.cn", addr="深圳市龙岗区龙翔大道2001号",
        addr_en="2001 Longxiang Boulevard, Longgang District, Shenzhen", domain="cuhk.edu.cn", weight=4),
    Org("HKU-SZH", "香港大学深圳医院", "The University of Hong Kong-Shenzhen Hospital", "hospital", "SZ",
        "2012-07-01", "香港大學深圳醫院", abbr="HKU-SZH", abbr_zh="港大深圳医院", web="https://www.hku-szh.org",
        addr="深圳市福田区海园一路1号", addr_en="1 Haiyuan 1st Road, Futian District, Shenzhen",
        domain="hku-szh.org", weight=2),
    Org("SIAT", "中国科学院深圳先进技术研究院", "Shenzhen Institutes of Advanced Technology, Chinese Academy of Sciences",
        "research_institute", "SZ", "2006-02-01", "中國科學院深圳先進技術研究院", abbr="SIAT",
        abbr_zh="深圳先进院", parent="CAS", web="https://www.siat.ac.cn", addr="深圳市南山区西丽深圳大学城学苑大道1068号",
        addr_en="1068 Xueyuan Avenue, Shenzhen University Town, Nanshan District, Shenzhen",
        domain="siat.ac.cn", weight=7),
    Org("NSCC-SZ", "国家超级计算深圳中心", "National Supercomputing Center in Shenzhen", "large_facility", "SZ",
        "2009-01-01", "國家超級計算深圳中心", abbr="NSCC-SZ", abbr_zh="深圳超算", web="http://www.nsccsz.cn",
        addr="深圳市南山区粤海街道", addr_en="Yuehai Subdistrict, Nanshan District, Shenzhen",
        domain="nsccsz.cn", weight=2),
    Org("PCL", "鹏城实验室", "Peng Cheng Laboratory", "laboratory", "SZ", "2018-03-01", "鵬城實驗室",
        abbr="PCL", abbr_zh="鹏城实验室", web="https://www.pcl.ac.cn", addr="深圳市南山区兴科一街2号",
        addr_en="2 Xingke 1st Street, Nanshan District, Shenzhen", domain="pcl.ac.cn", weight=5),
    Org("SZBL", "深圳湾实验室", "Shenzhen Bay Laboratory", "laboratory", "SZ", "2019-01-01", "深圳灣實驗室",
        abbr="SZBL", web="https://www.szbl.ac.cn", addr="深圳市光明区光侨大道9号",
        addr_en="9 Guangqiao Avenue, Guangming District, Shenzhen", domain="szbl.ac.cn", weight=3),
    Org("SIST", "深圳市标准技术研究院", "Shenzhen Institute of Standards and Technology", "research_institute",
        "SZ", "2002-01-01", "深圳市標準技術研究院", abbr="SIST", abbr_zh="深标院", web="https://www.sist.org.cn",
        addr="深圳市福田区上梅林梅华路", addr_en="Meihua Road, Shangmeilin, Futian District, Shenzhen",
        domain="sist.org.cn", weight=1),
    Org("PKUSZH", "北京大学深圳医院", "Peking University Shenzhen Hospital", "hospital", "SZ", "1999-01-01",
        "北京大學深圳醫院", abbr="PKUSZH", web="https://www.pkuszh.com", addr="深圳市福田区莲花路1120号",
        addr_en="1120 Lianhua Road, Futian District, Shenzhen", domain="pkuszh.com", weight=1),
    Org("SZSTIC", "深圳市科技创新委员会", "Science, Technology and Innovation Commission of Shenzhen Municipality",
        "government", "SZ", "2012-01-01", "深圳市科技創新委員會", abbr="SZSTIC", abbr_zh="深圳市科创委",
        web="http://stic.sz.gov.cn", addr="深圳市福田区深南大道6008号",
        addr_en="6008 Shennan Avenue, Futian District, Shenzhen", domain="sz.gov.cn", weight=0.2),
    Org("HUAWEI", "华为技术有限公司", "Huawei Technologies Co., Ltd.", "enterprise", "SZ", "1987-09-15",
        "華為技術有限公司", abbr="Huawei", abbr_zh="华为", web="https://www.huawei.com",
        addr="深圳市龙岗区坂田华为基地", addr_en="Huawei Industrial Base, Bantian, Longgang District, Shenzhen",
        domain="huawei.com", weight=10),
    Org("TENCENT", "深圳市腾讯计算机系统有限公司", "Shenzhen Tencent Computer Systems Co., Ltd.", "enterprise", "SZ",
        "1998-11-11", "深圳市騰訊計算機系統有限公司", abbr="Tencent", abbr_zh="腾讯", web="https://www.tencent.com",
        addr="深圳市南山区海天二路33号腾讯滨海大厦",
        addr_en="Tencent Binhai Towers, 33 Haitian 2nd Road, Nanshan District, Shenzhen",
        domain="tencent.com", weight=5),
    Org("BYD", "比亚迪股份有限公司", "BYD Company Limited", "enterprise", "SZ", "1995-02-10", "比亞迪股份有限公司",
        abbr="BYD", abbr_zh="比亚迪", web="https://www.byd.com", addr="深圳市坪山区比亚迪路3009号",
        addr_en="3009 BYD Road, Pingshan District, Shenzhen", domain="byd.com", weight=6),
    Org("DJI", "深圳市大疆创新科技有限公司", "SZ DJI Technology Co., Ltd.", "enterprise", "SZ", "2006-11-06",
        "深圳市大疆創新科技有限公司", abbr="DJI", abbr_zh="大疆", web="https://www.dji.com",
        addr="深圳市南山区仙元路55号大疆天空之城", addr_en="DJI Sky City, 55 Xianyuan Road, Nanshan District, Shenzhen",
        domain="dji.com", weight=4),
    Org("ZTE", "中兴通讯股份有限公司", "ZTE Corporation", "enterprise", "SZ", "1985-02-01", "中興通訊股份有限公司",
        abbr="ZTE", abbr_zh="中兴", web="https://www.zte.com.cn", addr="深圳市南山区科技南路55号中兴通讯大厦",
        addr_en="ZTE Plaza, 55 Keji Road South, Nanshan District, Shenzhen", domain="zte.com.cn", weight=6),
    Org("BGI", "深圳华大基因股份有限公司", "BGI Genomics Co., Ltd.", "enterprise", "SZ", "2010-07-09",
        "深圳華大基因股份有限公司", abbr="BGI", abbr_zh="华大基因", web="https://www.bgi.com",
        addr="深圳市盐田区北山工业区综合楼", addr_en="Beishan Industrial Zone, Yantian District, Shenzhen",
        domain="genomics.cn", weight=4),
    # ---- national funders outside the GBA (referenced, never emitted)
    Org("NSFC", "国家自然科学基金委员会", "National Natural Science Foundation of China", "government", "",
        "1986-02-14", "國家自然科學基金委員會", abbr="NSFC", web="https://www.nsfc.gov.cn"),
    Org("MOST", "科学技术部", "Ministry of Science and Technology", "government", "", "1998-03-10",
        "科學技術部", abbr="MOST", web="https://www.most.gov.cn"),
)
#: the rest of the generator's organisation universe: org_universe.csv beside this module
UNIVERSE_PATH = Path(__file__).with_name("org_universe.csv")


def _load_universe(path: Path = UNIVERSE_PATH) -> tuple[Org, ...]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return tuple(Org(r["key"], r["hans"], r["en"], r["type"], r["region"], r["founded"] or "2000-01-01",
                     r["hant"], pt=r["pt"], abbr=r["abbr"], abbr_zh=r["abbr_zh"], parent=r["parent"],
                     web=r["web"], domain=r["domain"], weight=float(r["weight"] or 1),
                     former_zh=r["former_zh"], former_en=r["former_en"]) for r in rows)


ORGS = ORGS + _load_universe()
ORG_BY_KEY = {o.key: o for o in ORGS}
assert len(ORG_BY_KEY) == len(ORGS), "duplicate organisation keys"

#: Pairs that look alike but are different organisations — the generator always emits both.
HARD_NEGATIVES: tuple[tuple[str, str], ...] = (
    ("CUHK", "CUHK-SZ"), ("HKUST", "HKUST-GZ"), ("UM", "UM-SKLAMSV"), ("UM", "UM-SKLIOTSC"),
    ("UM", "UM-SKLQRCM"), ("HKU", "HKU-SZH"), ("SML-GZ", "SML-ZH"), ("HKU", "HKU-SKLSC"),
)

#: org_type → resource type of its institution record (research bases vs research institutions)
ORG_RESOURCE_TYPE = {"laboratory": "03", "large_facility": "03", "innovation_platform": "03"}


# ------------------------------------------------------------------------- synthetic orgs
#: brand characters companies are named from: simplified, traditional, pinyin, Cantonese
BRAND_CHARS: tuple[tuple[str, str, str, str], ...] = (
    ("华", "華", "hua", "Wah"), ("星", "星", "xing", "Sing"), ("创", "創", "chuang", "Chong"),
    ("新", "新", "xin", "San"), ("达", "達", "da", "Tat"), ("联", "聯", "lian", "Luen"),
    ("信", "信", "xin", "Shun"), ("智", "智", "zhi", "Chi"), ("云", "雲", "yun", "Wan"),
    ("光", "光", "guang", "Kwong"), ("海", "海", "hai", "Hoi"), ("腾", "騰", "teng", "Tang"),
    ("汇", "匯", "hui", "Wui"), ("通", "通", "tong", "Tung"), ("嘉", "嘉", "jia", "Ka"),
    ("铭", "銘", "ming", "Ming"), ("瑞", "瑞", "rui", "Sui"), ("博", "博", "bo", "Pok"),
    ("恒", "恒", "heng", "Hang"), ("宇", "宇", "yu", "Yu"), ("泰", "泰", "tai", "Tai"),
    ("安", "安", "an", "On"), ("盛", "盛", "sheng", "Shing"), ("康", "康", "kang", "Hong"),
    ("源", "源", "yuan", "Yuen"), ("晟", "晟", "sheng", "Sing"), ("睿", "睿", "rui", "Yui"),
    ("鑫", "鑫", "xin", "Yam"), ("远", "遠", "yuan", "Yuen"), ("航", "航", "hang", "Hong"),
    ("拓", "拓", "tuo", "Tok"), ("维", "維", "wei", "Wai"), ("景", "景", "jing", "King"),
    ("峰", "峰", "feng", "Fung"), ("立", "立", "li", "Lap"), ("天", "天", "tian", "Tin"),
    ("元", "元", "yuan", "Yuen"), ("诚", "誠", "cheng", "Shing"), ("芯", "芯", "xin", "Sum"),
    ("微", "微", "wei", "Mei"), ("量", "量", "liang", "Leung"), ("数", "數", "shu", "Sou"),
    ("晶", "晶", "jing", "Tsing"), ("锐", "銳", "rui", "Yui"), ("卓", "卓", "zhuo", "Cheuk"),
    ("越", "越", "yue", "Yuet"), ("启", "啟", "qi", "Kai"), ("明", "明", "ming", "Ming"),
    ("致", "致", "zhi", "Chi"), ("合", "合", "he", "Hop"), ("众", "眾", "zhong", "Chung"),
    ("科", "科", "ke", "Fo"), ("鹏", "鵬", "peng", "Pang"), ("迈", "邁", "mai", "Mai"),
)
#: industries: simplified name, English name
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("科技", "Technology"), ("电子", "Electronics"), ("生物科技", "Biotechnology"),
    ("智能科技", "Intelligent Technology"), ("新材料", "New Materials"), ("光电", "Optoelectronics"),
    ("医疗器械", "Medical Devices"), ("半导体", "Semiconductor"), ("信息技术", "Information Technology"),
    ("新能源", "New Energy"), ("精密仪器", "Precision Instruments"), ("机器人", "Robotics"),
    ("检测技术", "Testing Technology"), ("通信技术", "Communication Technology"), ("海洋科技", "Marine Technology"),
    ("药业", "Pharmaceutical"), ("环保科技", "Environmental Technology"), ("数据科技", "Data Technology"),
    ("航空科技", "Aviation Technology"), ("汽车电子", "Automotive Electronics"),
)
#: research bases named after a host: 广东省{field}重点实验室 / 工程技术研究中心
BASE_KINDS: tuple[tuple[str, str, str], ...] = (
    ("广东省{f}重点实验室", "Guangdong Provincial Key Laboratory of {f}", "laboratory"),
    ("广东省{f}工程技术研究中心", "Guangdong Engineering Technology Research Center of {f}", "innovation_platform"),
    ("{c}{f}重点实验室", "{c} Key Laboratory of {f}", "laboratory"),
    ("{c}{f}研究中心", "{c} Research Center for {f}", "research_institute"),
)


# ------------------------------------------------------------------------------- people
#: surnames: simplified, traditional, pinyin, Hong Kong romanisation, Macao romanisation, weight
SURNAMES: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("陈", "陳", "Chen", "Chan", "Chan", 9), ("李", "李", "Li", "Lee", "Lei", 8),
    ("张", "張", "Zhang", "Cheung", "Cheong", 7), ("黄", "黃", "Huang", "Wong", "Wong", 7),
    ("王", "王", "Wang", "Wong", "Wong", 6), ("刘", "劉", "Liu", "Lau", "Lao", 6),
    ("梁", "梁", "Liang", "Leung", "Leong", 5), ("林", "林", "Lin", "Lam", "Lam", 5),
    ("何", "何", "He", "Ho", "Ho", 4), ("吴", "吳", "Wu", "Ng", "Ng", 4),
    ("郭", "郭", "Guo", "Kwok", "Kuok", 3), ("周", "周", "Zhou", "Chow", "Chau", 3),
    ("杨", "楊", "Yang", "Yeung", "Ieong", 4), ("郑", "鄭", "Zheng", "Cheng", "Cheang", 3),
    ("谢", "謝", "Xie", "Tse", "Che", 2), ("罗", "羅", "Luo", "Law", "Lo", 2),
    ("冯", "馮", "Feng", "Fung", "Fong", 2), ("邓", "鄧", "Deng", "Tang", "Tang", 2),
    ("曾", "曾", "Zeng", "Tsang", "Chang", 2), ("蔡", "蔡", "Cai", "Choi", "Choi", 2),
    ("许", "許", "Xu", "Hui", "Hoi", 2), ("叶", "葉", "Ye", "Yip", "Ip", 2),
    ("朱", "朱", "Zhu", "Chu", "Chu", 2), ("袁", "袁", "Yuan", "Yuen", "Un", 1),
    ("麦", "麥", "Mai", "Mak", "Mak", 1), ("区", "區", "Ou", "Au", "Ao", 1),
    ("钟", "鍾", "Zhong", "Chung", "Chong", 1), ("苏", "蘇", "Su", "So", "Sou", 1),
    ("卢", "盧", "Lu", "Lo", "Lou", 1), ("唐", "唐", "Tang", "Tong", "Tong", 1),
    ("徐", "徐", "Xu", "Tsui", "Chui", 2), ("孙", "孫", "Sun", "Suen", "Sun", 1),
    ("马", "馬", "Ma", "Ma", "Ma", 1), ("胡", "胡", "Hu", "Wu", "Wu", 1),
    ("高", "高", "Gao", "Ko", "Kou", 1), ("邱", "邱", "Qiu", "Yau", "Iao", 1),
    ("赵", "趙", "Zhao", "Chiu", "Chio", 2), ("潘", "潘", "Pan", "Poon", "Pun", 1),
    ("彭", "彭", "Peng", "Pang", "Pang", 1), ("方", "方", "Fang", "Fong", "Fong", 1),
    ("余", "余", "Yu", "Yu", "U", 1), ("严", "嚴", "Yan", "Yim", "Im", 1),
    ("邝", "鄺", "Kuang", "Kwong", "Kuong", 1), ("欧阳", "歐陽", "Ouyang", "Au Yeung", "Ao Ieong", 0.5),
)
#: given-name characters: simplified, traditional, pinyin, Hong Kong romanisation, Macao romanisation
GIVEN_CHARS: tuple[tuple[str, str, str, str, str], ...] = (
    ("大", "大", "da", "Tai", "Tai"), ("文", "文", "wen", "Man", "Man"), ("伟", "偉", "wei", "Wai", "Wai"),
    ("明", "明", "ming", "Ming", "Meng"), ("华", "華", "hua", "Wah", "Va"), ("志", "志", "zhi", "Chi", "Chi"),
    ("国", "國", "guo", "Kwok", "Kuok"), ("建", "建", "jian", "Kin", "Kin"), ("强", "強", "qiang", "Keung", "Keong"),
    ("军", "軍", "jun", "Kwan", "Kuan"), ("平", "平", "ping", "Ping", "Peng"), ("芳", "芳", "fang", "Fong", "Fong"),
    ("丽", "麗", "li", "Lai", "Lai"), ("敏", "敏", "min", "Man", "Man"), ("静", "靜", "jing", "Ching", "Cheng"),
    ("婷", "婷", "ting", "Ting", "Teng"), ("家", "家", "jia", "Ka", "Ka"), ("嘉", "嘉", "jia", "Ka", "Ka"),
    ("俊", "俊", "jun", "Chun", "Chon"), ("杰", "傑", "jie", "Kit", "Kit"), ("浩", "浩", "hao", "Ho", "Hou"),
    ("宇", "宇", "yu", "Yu", "U"), ("子", "子", "zi", "Tsz", "Chi"), ("健", "健", "jian", "Kin", "Kin"),
    ("思", "思", "si", "Sze", "Si"), ("欣", "欣", "xin", "Yan", "Ian"), ("晓", "曉", "xiao", "Hiu", "Hio"),
    ("海", "海", "hai", "Hoi", "Hoi"), ("永", "永", "yong", "Wing", "Weng"), ("德", "德", "de", "Tak", "Tak"),
    ("锦", "錦", "jin", "Kam", "Kam"), ("美", "美", "mei", "Mei", "Mei"), ("玲", "玲", "ling", "Ling", "Leng"),
    ("秀", "秀", "xiu", "Sau", "Sao"), ("英", "英", "ying", "Ying", "Ieng"), ("雪", "雪", "xue", "Suet", "Sut"),
    ("振", "振", "zhen", "Chun", "Chan"), ("荣", "榮", "rong", "Wing", "Weng"), ("耀", "耀", "yao", "Yiu", "Io"),
    ("辉", "輝", "hui", "Fai", "Fai"), ("诗", "詩", "shi", "Sze", "Si"), ("颖", "穎", "ying", "Wing", "Weng"),
    ("慧", "慧", "hui", "Wai", "Wai"), ("泽", "澤", "ze", "Chak", "Chak"), ("鹏", "鵬", "peng", "Pang", "Pang"),
    ("涛", "濤", "tao", "To", "Tou"), ("飞", "飛", "fei", "Fei", "Fei"), ("磊", "磊", "lei", "Lui", "Loi"),
    ("琳", "琳", "lin", "Lam", "Lam"), ("洁", "潔", "jie", "Kit", "Kit"), ("凯", "凱", "kai", "Hoi", "Hoi"),
    ("斌", "斌", "bin", "Pan", "Pan"), ("博", "博", "bo", "Pok", "Pok"), ("成", "成", "cheng", "Shing", "Seng"),
    ("立", "立", "li", "Lap", "Lap"), ("新", "新", "xin", "San", "San"), ("光", "光", "guang", "Kwong", "Kuong"),
    ("婉", "婉", "wan", "Yuen", "Un"), ("君", "君", "jun", "Kwan", "Kuan"), ("峰", "峰", "feng", "Fung", "Fong"),
)
#: English given names Hong Kong people often carry ("Peter CHAN Tai Man")
HK_ENGLISH_NAMES = ("Peter", "David", "Michael", "Raymond", "Kenneth", "Eric", "Jason", "Kelvin", "Ivan",
                    "Alice", "Winnie", "Karen", "Vivian", "Joyce", "Cherry", "Stephen", "Wilson", "Grace")

#: professional titles: mainland (simplified, English), Hong Kong (traditional, English),
#: Macao (traditional, Portuguese)
TITLES_MAINLAND = (("教授", "Professor"), ("副教授", "Associate Professor"), ("研究员", "Research Professor"),
                   ("副研究员", "Associate Research Professor"), ("助理研究员", "Assistant Research Professor"),
                   ("高级工程师", "Senior Engineer"), ("正高级工程师", "Professorate Senior Engineer"),
                   ("讲师", "Lecturer"), ("主任医师", "Chief Physician"))
TITLES_HK = (("講座教授", "Chair Professor"), ("教授", "Professor"), ("副教授", "Associate Professor"),
             ("助理教授", "Assistant Professor"), ("研究助理教授", "Research Assistant Professor"),
             ("首席科學家", "Principal Scientist"), ("高級工程師", "Senior Engineer"))
TITLES_MO = (("教授", "Professor Catedrático"), ("副教授", "Professor Associado"),
             ("助理教授", "Professor Auxiliar"), ("首席研究員", "Investigador Principal"),
             ("研究員", "Investigador"))

#: research fields: simplified, English, Portuguese
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("人工智能", "Artificial Intelligence", "Inteligência Artificial"),
    ("集成电路", "Integrated Circuits", "Circuitos Integrados"),
    ("生物医药", "Biomedicine", "Biomedicina"), ("新材料", "Advanced Materials", "Materiais Avançados"),
    ("海洋科学", "Marine Science", "Ciências do Mar"), ("新能源", "New Energy", "Novas Energias"),
    ("智能制造", "Intelligent Manufacturing", "Fabrico Inteligente"),
    ("量子信息", "Quantum Information", "Informação Quântica"), ("中医药", "Chinese Medicine", "Medicina Chinesa"),
    ("机器人", "Robotics", "Robótica"), ("通信工程", "Communication Engineering", "Engenharia de Comunicações"),
    ("金融科技", "Financial Technology", "Tecnologia Financeira"),
    ("环境科学", "Environmental Science", "Ciências do Ambiente"),
    ("精准医学", "Precision Medicine", "Medicina de Precisão"), ("脑科学", "Brain Science", "Ciência do Cérebro"),
    ("物联网", "Internet of Things", "Internet das Coisas"), ("大数据", "Big Data", "Megadados"),
    ("光电子", "Optoelectronics", "Optoelectrónica"), ("化学工程", "Chemical Engineering", "Engenharia Química"),
    ("土木工程", "Civil Engineering", "Engenharia Civil"), ("基因组学", "Genomics", "Genómica"),
    ("微电子", "Microelectronics", "Microelectrónica"), ("网络安全", "Cybersecurity", "Cibersegurança"),
    ("空间科学", "Space Science", "Ciências Espaciais"), ("储能技术", "Energy Storage", "Armazenamento de Energia"),
    ("神经科学", "Neuroscience", "Neurociências"), ("免疫学", "Immunology", "Imunologia"),
    ("药物化学", "Medicinal Chemistry", "Química Medicinal"),
)


# -------------------------------------------------------------------------- instruments
@dataclass(frozen=True)
class InstrumentType:
    hans: str
    en: str
    short: str                                      # the short name labs use (扫描电镜)
    makers: tuple[tuple[str, tuple[str, ...]], ...]   # manufacturer, models
    value_cny: tuple[float, float]                  # typical original value range in CNY


def _it(hans, en, short, makers, lo, hi):
    return InstrumentType(hans, en, short, tuple((m, tuple(ms)) for m, ms in makers), (lo, hi))


INSTRUMENT_TYPES: tuple[InstrumentType, ...] = (
    _it("场发射扫描电子显微镜", "Field Emission Scanning Electron Microscope", "扫描电镜",
        [("Thermo Fisher Scientific", ["Apreo 2", "Quattro S"]), ("ZEISS", ["GeminiSEM 500", "Sigma 300"]),
         ("Hitachi", ["SU8010", "Regulus 8230"]), ("JEOL", ["JSM-7900F"])], 2.2e6, 6.5e6),
    _it("透射电子显微镜", "Transmission Electron Microscope", "透射电镜",
        [("JEOL", ["JEM-2100F", "JEM-F200"]), ("Thermo Fisher Scientific", ["Talos F200X", "Spectra 300"])],
        4.5e6, 2.8e7),
    _it("冷冻透射电子显微镜", "Cryo-Transmission Electron Microscope", "冷冻电镜",
        [("Thermo Fisher Scientific", ["Titan Krios G4", "Glacios 2"]), ("JEOL", ["CRYO ARM 300 II"])],
        1.5e7, 5.2e7),
    _it("X射线衍射仪", "X-ray Diffractometer", "XRD",
        [("Bruker", ["D8 Advance", "D8 Discover"]), ("Rigaku", ["SmartLab"]),
         ("Malvern Panalytical", ["Empyrean", "Aeris"])], 6.0e5, 3.2e6),
    _it("单晶X射线衍射仪", "Single Crystal X-ray Diffractometer", "单晶衍射仪",
        [("Bruker", ["D8 Venture"]), ("Rigaku", ["XtaLAB Synergy-S"])], 2.0e6, 4.5e6),
    _it("核磁共振波谱仪", "Nuclear Magnetic Resonance Spectrometer", "核磁",
        [("Bruker", ["AVANCE NEO 600", "AVANCE NEO 400", "AVANCE III HD 500"]), ("JEOL", ["ECZ500R"])],
        2.5e6, 1.2e7),
    _it("液相色谱-质谱联用仪", "Liquid Chromatography-Mass Spectrometer", "液质联用仪",
        [("Agilent", ["6545 Q-TOF", "6470B"]), ("Thermo Fisher Scientific", ["Orbitrap Exploris 480", "Q Exactive HF-X"]),
         ("Waters", ["Xevo TQ-XS"]), ("SCIEX", ["Triple Quad 6500+", "ZenoTOF 7600"])], 1.5e6, 6.0e6),
    _it("气相色谱-质谱联用仪", "Gas Chromatography-Mass Spectrometer", "气质联用仪",
        [("Agilent", ["8890-5977B", "7890B-7000D"]), ("Shimadzu", ["GCMS-QP2020 NX"]),
         ("Thermo Fisher Scientific", ["TSQ 9000"])], 5.5e5, 2.0e6),
    _it("激光扫描共聚焦显微镜", "Confocal Laser Scanning Microscope", "共聚焦显微镜",
        [("ZEISS", ["LSM 980", "LSM 900"]), ("Leica", ["STELLARIS 8", "TCS SP8"]), ("Nikon", ["AX R"]),
         ("Olympus", ["FV3000"])], 1.2e6, 4.5e6),
    _it("流式细胞仪", "Flow Cytometer", "流式",
        [("BD Biosciences", ["FACSAria III", "LSRFortessa"]), ("Beckman Coulter", ["CytoFLEX S", "CytoFLEX LX"])],
        6.5e5, 3.5e6),
    _it("电感耦合等离子体质谱仪", "Inductively Coupled Plasma Mass Spectrometer", "ICP-MS",
        [("Agilent", ["7900", "8900"]), ("Thermo Fisher Scientific", ["iCAP RQ"]), ("PerkinElmer", ["NexION 2000"])],
        9.0e5, 3.0e6),
    _it("X射线光电子能谱仪", "X-ray Photoelectron Spectrometer", "XPS",
        [("Thermo Fisher Scientific", ["ESCALAB Xi+", "K-Alpha"]), ("Kratos", ["AXIS Supra+"]),
         ("ULVAC-PHI", ["PHI 5000 VersaProbe III"])], 3.0e6, 7.5e6),
    _it("原子力显微镜", "Atomic Force Microscope", "AFM",
        [("Bruker", ["Dimension Icon", "MultiMode 8-HR"]), ("Oxford Instruments", ["Cypher ES", "MFP-3D Origin+"])],
        8.0e5, 3.5e6),
    _it("高通量基因测序仪", "High-throughput Gene Sequencer", "测序仪",
        [("Illumina", ["NovaSeq 6000", "NextSeq 2000"]), ("MGI", ["DNBSEQ-T7", "DNBSEQ-G400"])], 1.8e6, 9.0e6),
    _it("傅里叶变换红外光谱仪", "Fourier Transform Infrared Spectrometer", "红外光谱仪",
        [("Thermo Fisher Scientific", ["Nicolet iS50"]), ("Bruker", ["VERTEX 70v", "INVENIO R"])], 3.2e5, 1.2e6),
    _it("激光共焦拉曼光谱仪", "Confocal Raman Spectrometer", "拉曼光谱仪",
        [("HORIBA", ["LabRAM HR Evolution", "LabRAM Odyssey"]), ("Renishaw", ["inVia Qontor"]),
         ("WITec", ["alpha300 R"])], 8.0e5, 2.5e6),
    _it("紫外可见近红外分光光度计", "UV-Vis-NIR Spectrophotometer", "紫外分光光度计",
        [("PerkinElmer", ["Lambda 1050+"]), ("Shimadzu", ["UV-3600i Plus"]), ("Agilent", ["Cary 7000"])],
        3.2e5, 9.0e5),
    _it("同步热分析仪", "Simultaneous Thermal Analyzer", "热分析仪",
        [("NETZSCH", ["STA 449 F3", "STA 449 F5"]), ("TA Instruments", ["SDT 650"]), ("Mettler Toledo", ["TGA/DSC 3+"])],
        3.3e5, 9.5e5),
    _it("比表面积及孔径分析仪", "Surface Area and Porosity Analyzer", "比表面仪",
        [("Micromeritics", ["ASAP 2460", "3Flex"]), ("Anton Paar", ["Autosorb-iQ"])], 3.5e5, 1.1e6),
    _it("场发射电子探针显微分析仪", "Field Emission Electron Probe Microanalyzer", "电子探针",
        [("JEOL", ["JXA-iHP200F", "JXA-8530F Plus"]), ("Shimadzu", ["EPMA-1720H"])], 6.0e6, 1.2e7),
    _it("聚焦离子束双束电镜", "Focused Ion Beam Dual-beam SEM", "双束电镜",
        [("Thermo Fisher Scientific", ["Helios 5 UX", "Scios 2"]), ("ZEISS", ["Crossbeam 550"])], 8.0e6, 1.8e7),
    _it("小动物活体成像系统", "In Vivo Small Animal Imaging System", "活体成像",
        [("PerkinElmer", ["IVIS Spectrum", "IVIS Lumina III"]), ("Bruker", ["In-Vivo Xtreme II"])], 1.2e6, 3.5e6),
    _it("3.0T磁共振成像系统", "3.0T Magnetic Resonance Imaging System", "3T磁共振",
        [("Siemens Healthineers", ["MAGNETOM Prisma", "MAGNETOM Vida"]), ("GE HealthCare", ["SIGNA Premier"]),
         ("United Imaging", ["uMR 790", "uMR 890"])], 1.2e7, 3.0e7),
    _it("电子束光刻系统", "Electron Beam Lithography System", "电子束曝光机",
        [("Raith", ["EBPG 5200", "VOYAGER"]), ("JEOL", ["JBX-6300FS", "JBX-8100FS"])], 1.0e7, 4.0e7),
    _it("等离子体增强化学气相沉积系统", "Plasma Enhanced Chemical Vapor Deposition System", "PECVD",
        [("Oxford Instruments", ["PlasmaPro 100"]), ("SENTECH", ["SI 500 D"])], 1.5e6, 4.5e6),
    _it("分子束外延系统", "Molecular Beam Epitaxy System", "MBE",
        [("Veeco", ["GEN930"]), ("Riber", ["Compact 21"]), ("DCA Instruments", ["R450"])], 6.0e6, 1.6e7),
    _it("矢量网络分析仪", "Vector Network Analyzer", "网分",
        [("Keysight", ["PNA-X N5247B", "N5227B"]), ("Rohde & Schwarz", ["ZNA43", "ZVA67"])], 1.0e6, 4.0e6),
    _it("半导体参数分析仪", "Semiconductor Parameter Analyzer", "半导体参数仪",
        [("Keysight", ["B1500A"]), ("Keithley", ["4200A-SCS"])], 4.0e5, 1.5e6),
    _it("万能材料试验机", "Universal Testing Machine", "万能试验机",
        [("Instron", ["5985", "68TM-50"]), ("ZwickRoell", ["Z100", "Z250"]), ("MTS", ["Criterion 45"])],
        3.2e5, 1.2e6),
    _it("激光粒度分析仪", "Laser Particle Size Analyzer", "激光粒度仪",
        [("Malvern Panalytical", ["Mastersizer 3000"]), ("Beckman Coulter", ["LS 13 320 XR"])], 3.1e5, 7.0e5),
    _it("实时荧光定量PCR仪", "Real-time Quantitative PCR System", "荧光定量PCR仪",
        [("Bio-Rad", ["CFX Opus 96", "CFX96 Touch"]), ("Roche", ["LightCycler 480 II"]),
         ("Thermo Fisher Scientific", ["QuantStudio 7 Pro"])], 3.1e5, 8.0e5),
    _it("高内涵细胞成像分析系统", "High Content Cell Imaging System", "高内涵",
        [("PerkinElmer", ["Operetta CLS", "Opera Phenix Plus"]), ("Molecular Devices", ["ImageXpress Micro Confocal"])],
        2.5e6, 6.0e6),
    _it("超速离心机", "Ultracentrifuge", "超离",
        [("Beckman Coulter", ["Optima XPN-100", "Optima XPN-90"]), ("Thermo Fisher Scientific", ["Sorvall WX+"])],
        4.5e5, 1.0e6),
    _it("生物分子相互作用分析仪", "Biomolecular Interaction Analysis System", "SPR",
        [("Cytiva", ["Biacore 8K", "Biacore T200"]), ("Bruker", ["Sierra SPR-32 Pro"])], 2.0e6, 5.5e6),
    _it("圆二色光谱仪", "Circular Dichroism Spectrometer", "圆二色谱",
        [("JASCO", ["J-1500"]), ("Applied Photophysics", ["Chirascan V100"])], 6.0e5, 1.5e6),
    _it("稳态瞬态荧光光谱仪", "Steady-state and Transient Fluorescence Spectrometer", "荧光光谱仪",
        [("Edinburgh Instruments", ["FLS1000", "FS5"]), ("HORIBA", ["Fluorolog-QM"])], 7.0e5, 2.2e6),
    _it("飞秒激光放大系统", "Femtosecond Laser Amplifier System", "飞秒激光器",
        [("Coherent", ["Astrella", "Legend Elite"]), ("Spectra-Physics", ["Solstice Ace"]),
         ("Light Conversion", ["PHAROS"])], 2.5e6, 8.0e6),
    _it("多波束测深系统", "Multibeam Echo Sounder", "多波束",
        [("Kongsberg", ["EM 712", "EM 304"]), ("Teledyne RESON", ["SeaBat T50-R"])], 2.0e6, 9.0e6),
    _it("温盐深剖面仪", "Conductivity Temperature Depth Profiler", "CTD",
        [("Sea-Bird Scientific", ["SBE 911plus", "SBE 25plus"]), ("RBR", ["RBRconcerto"])], 6.0e5, 2.0e6),
    _it("声学多普勒流速剖面仪", "Acoustic Doppler Current Profiler", "ADCP",
        [("Teledyne RD Instruments", ["Workhorse Sentinel 300", "Ocean Surveyor 75"]), ("Nortek", ["Signature1000"])],
        4.0e5, 1.6e6),
    _it("中子粉末衍射谱仪", "Neutron Powder Diffractometer", "中子衍射仪",
        [("CSNS", ["GPPD", "HIPD"])], 4.0e7, 9.0e7),
    _it("小角中子散射谱仪", "Small Angle Neutron Scattering Instrument", "SANS",
        [("CSNS", ["SANS"])], 3.5e7, 8.0e7),
    _it("高性能计算集群", "High Performance Computing Cluster", "计算集群",
        [("Huawei", ["FusionServer 2288H V6", "Atlas 900"]), ("Inspur", ["NF5468M6"]), ("Sugon", ["TC6600"])],
        2.0e6, 2.0e7),
    _it("电化学工作站", "Electrochemical Workstation", "电化学工作站",
        [("CH Instruments", ["CHI760E", "CHI660E"]), ("Metrohm Autolab", ["PGSTAT302N"]),
         ("BioLogic", ["VMP-300"])], 3.1e5, 9.0e5),
)


# ------------------------------------------------------------------------ titles of things
#: patent titles: computing techniques × method objects, material techniques × material objects
PATENT_TECH_METHOD = (("基于深度学习的", "based on deep learning"), ("基于联邦学习的", "based on federated learning"),
                      ("基于毫米波雷达的", "based on millimetre-wave radar"), ("基于区块链的", "based on blockchain"),
                      ("基于知识图谱的", "based on knowledge graph"), ("基于数字孪生的", "based on digital twin"),
                      ("基于多模态融合的", "based on multimodal fusion"), ("基于边缘计算的", "based on edge computing"),
                      ("基于强化学习的", "based on reinforcement learning"), ("基于机器视觉的", "based on machine vision"),
                      ("基于大语言模型的", "based on a large language model"), ("", ""))
PATENT_OBJ_METHOD = (("图像识别方法", "Image recognition method"), ("目标检测方法及装置", "Target detection method and device"),
                     ("信号处理方法及系统", "Signal processing method and system"),
                     ("网络资源调度方法", "Network resource scheduling method"),
                     ("无人机避障方法", "Obstacle avoidance method for unmanned aerial vehicles"),
                     ("电池健康状态估计方法", "Battery state-of-health estimation method"),
                     ("基因测序数据分析方法", "Gene sequencing data analysis method"),
                     ("医学影像分割方法", "Medical image segmentation method"),
                     ("数据加密传输方法", "Encrypted data transmission method"),
                     ("设备故障诊断方法及系统", "Equipment fault diagnosis method and system"),
                     ("语音增强方法", "Speech enhancement method"), ("移动机器人路径规划方法", "Path planning method for mobile robots"),
                     ("交通流量预测方法", "Traffic flow prediction method"), ("蛋白质结构预测方法", "Protein structure prediction method"))
PATENT_TECH_MATERIAL = (("基于石墨烯的", "graphene-based"), ("基于氮化镓的", "GaN-based"), ("基于碳化硅的", "SiC-based"),
                        ("基于金属有机框架的", "metal-organic-framework-based"), ("基于二维材料的", "two-dimensional-material-based"),
                        ("高稳定性", "highly stable"), ("", ""))
PATENT_OBJ_MATERIAL = (("锂离子电池正极材料及其制备方法", "cathode material for lithium-ion batteries and preparation method thereof"),
                       ("钙钛矿太阳能电池及其制备方法", "perovskite solar cell and preparation method thereof"),
                       ("柔性压力传感器及其制备方法", "flexible pressure sensor and preparation method thereof"),
                       ("海水淡化膜材料", "seawater desalination membrane material"),
                       ("光电探测器", "photodetector"), ("射频功率放大器", "radio-frequency power amplifier"),
                       ("模数转换器", "analog-to-digital converter"), ("催化剂及其应用", "catalyst and use thereof"),
                       ("固态电解质", "solid-state electrolyte"), ("电磁屏蔽复合材料", "electromagnetic shielding composite"))
PATENT_OBJ_BIO = (("抗肿瘤化合物及其应用", "Anti-tumour compound and use thereof"),
                  ("中药提取物及其制备方法", "Traditional Chinese medicine extract and preparation method thereof"),
                  ("单克隆抗体及其应用", "Monoclonal antibody and use thereof"),
                  ("基因编辑载体及其构建方法", "Gene editing vector and construction method thereof"),
                  ("疫苗组合物", "Vaccine composition"))

#: project titles: 面向{application}的{technology}关键技术研究
PROJECT_TECH = (("大模型", "large models"), ("类脑计算", "brain-inspired computing"), ("量子传感", "quantum sensing"),
                ("毫米波芯片", "millimetre-wave chips"), ("固态电池", "solid-state batteries"),
                ("合成生物学", "synthetic biology"), ("柔性电子", "flexible electronics"), ("数字孪生", "digital twins"),
                ("隐私计算", "privacy-preserving computation"), ("高通量筛选", "high-throughput screening"),
                ("单细胞测序", "single-cell sequencing"), ("第三代半导体", "wide-bandgap semiconductors"))
PROJECT_APPL = (("智慧城市", "smart cities"), ("粤港澳大湾区海洋环境监测", "marine environment monitoring in the Greater Bay Area"),
                ("精准医疗", "precision medicine"), ("新能源汽车", "new energy vehicles"), ("6G通信", "6G communications"),
                ("智能制造", "intelligent manufacturing"), ("金融风险防控", "financial risk control"),
                ("中医药现代化", "modernisation of Chinese medicine"), ("低空经济", "the low-altitude economy"),
                ("城市内涝预警", "urban flood early warning"), ("跨境数据流通", "cross-boundary data flows"),
                ("老龄健康", "healthy ageing"))

#: policies published by Guangdong/Guangzhou bodies: issuer key, document-number prefix
POLICY_ISSUERS = (("GZSTB", "穗科规字"), ("GDSTC", "粤科规范字"), ("GZSTB", "穗科"), ("GDSTC", "粤科函政字"))
POLICY_SUBJECTS = ("科技企业孵化器", "重点实验室", "新型研发机构", "科技创新券", "大型科研仪器设施开放共享",
                   "科技计划项目", "技术创新中心", "粤港澳联合实验室", "科技成果转化", "企业研发经费投入后补助",
                   "科技金融", "国际科技合作基地", "高新技术企业培育", "科技人才引进", "港澳科技创新合作")
POLICY_DOCTYPES = ("管理办法", "实施细则", "认定办法", "资助办法", "工作指引", "若干措施")

#: events announced on the Hong Kong platform: English, Traditional
EVENT_TYPES = (("Symposium", "研討會"), ("Workshop", "工作坊"), ("Forum", "論壇"), ("Seminar", "講座"),
               ("Conference", "會議"), ("Demo Day", "展示日"), ("Hackathon", "黑客松"), ("Roadshow", "巡迴展"))

#: standards on the Shenzhen platform: subject (simplified, English) and document type
STANDARD_SUBJECTS = (("智能网联汽车道路测试", "Road testing of intelligent connected vehicles"),
                     ("新能源汽车充电设施", "Charging facilities for new energy vehicles"),
                     ("5G基站", "5G base stations"), ("数据中心能效", "Energy efficiency of data centres"),
                     ("人工智能伦理", "Ethics of artificial intelligence"), ("多功能智能杆", "Multi-functional smart poles"),
                     ("无人机物流配送", "UAV logistics delivery"), ("公共数据开放", "Open public data"),
                     ("医疗器械软件", "Medical device software"), ("智慧园区", "Smart industrial parks"),
                     ("锂离子电池储能系统", "Lithium-ion battery energy storage systems"),
                     ("建筑信息模型", "Building information modelling"), ("跨境电子商务", "Cross-border e-commerce"),
                     ("生物样本库", "Biobanks"), ("低空飞行器", "Low-altitude aircraft"))
STANDARD_DOCTYPES = (("技术规范", "Technical specification"), ("建设规范", "Construction specification"),
                     ("评价指南", "Evaluation guidelines"), ("运维管理规范", "Operation and maintenance specification"),
                     ("数据接口规范", "Data interface specification"), ("安全要求", "Security requirements"))
STANDARD_SERIES = (("DB4403/T", 0.5), ("T/SZS", 0.3), ("SZDB/Z", 0.2))

#: achievements registered on the Guangzhou platform: 技术 + 模式 templates
ACHIEVEMENT_TEMPLATES = (("{t}关键技术研究及产业化", "Key technologies of {t} and their industrialisation"),
                         ("{t}研发与应用示范", "Development and demonstration of {t}"),
                         ("{t}在{a}中的应用", "Application of {t} in {a}"))
ACHIEVEMENT_KINDS = ("应用技术", "基础理论", "软科学")
