"""Dedupe decisions on hand-written pairs: copies and translations merge, different events stay apart."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Evidence, Item, Tags
from bot.pipeline.dedupe import (
    Candidate,
    Fingerprint,
    choose_stories,
    choose_story,
    conflict,
    evidence,
    fingerprint,
    minhash,
    undated_windows,
)
from bot.pipeline.dedupe.decide import (
    FIGURE_WEIGHT_LARGE,
    FIGURE_WEIGHT_SMALL,
    MERGE_SCORE,
    NEAR_COPY_SCORE,
    NO_COUNTRY_EXTRA,
    OTHER_HEADLINE_ACTOR,
    SHARED_BODY,
)
from bot.pipeline.dedupe.features import SEARCH_DAYS, UNDATED_DAY, UNDATED_SEARCH_DAYS
from bot.pipeline.dedupe.minhash import shingles
from bot.pipeline.dedupe.text import find_dates, name_key, names, numbers
from bot.pipeline.dedupe.vocabulary import default_vocabulary
from bot.words import fold

T0 = datetime(2028, 6, 12, 9, 0, tzinfo=UTC)


def item(
    title: str,
    summary: str,
    *,
    lang: str = "en",
    hours: float = 0,
    countries: tuple[str, ...] = ("MN",),
    bodies: tuple[str, ...] = ("osce-odihr",),
    relevant: bool = True,
    undated: bool = False,
) -> Item:
    return Item(
        feed_url="https://feed.example/rss",
        title=title,
        link=f"https://feed.example/{abs(hash(title))}",
        canonical_link=f"https://feed.example/{abs(hash(title))}",
        guid=None,
        published=T0 + timedelta(hours=hours),
        published_is_fallback=undated,
        summary=summary,
        lang=lang,
        content_hash=str(abs(hash(title + summary))),
        tags=Tags(relevant, countries, bodies),
    )


def same_story(first: Item, second: Item) -> bool:
    return choose_story(fingerprint(second), [Candidate(1, 1, fingerprint(first))]) == 1


PRELIM = item(
    "Mongolia's parliamentary elections well organised but campaign uneven, international observers say",
    "ULAANBAATAR, 12 June 2028 – Mongolia's 11 June parliamentary elections were well organised and offered "
    "voters a genuine choice among 19 parties, but the campaign was marked by the misuse of administrative "
    "resources, international observers said in a preliminary statement today. The mission deployed 312 "
    "observers from 38 countries. Turnout was 68.2 per cent, the General Election Commission said.",
)

MERGE_CASES = {
    "syndicated copy with a wire dateline and credit": item(
        "Observers: Mongolian vote well run, campaign uneven",
        "ULAANBAATAR, June 12 (Steppe Wire) - Mongolia's 11 June parliamentary elections were well organised and "
        "offered voters a genuine choice among 19 parties, but the campaign was marked by the misuse of "
        "administrative resources, international observers said in a preliminary statement today.\n"
        "Text and pictures by Steppe Wire staff",
        hours=3,
    ),
    "rewritten headline over the same facts": item(
        "International observers praise organisation of Mongolian polls, criticise misuse of resources",
        "Mongolia's parliamentary elections on 11 June offered voters a real choice between 19 parties and were "
        "efficiently run, the OSCE/ODIHR-led observation mission said in its preliminary statement on Monday. "
        "The 312 observers from 38 "
        "countries noted that state resources were misused during the campaign. Turnout stood at 68.2 per cent.",
        hours=5,
    ),
    "truncated repost": item(
        "Mongolia: observers call elections well organised",
        "Mongolia's 11 June parliamentary elections were well organised and offered voters a genuine choice "
        "among 19 parties, international observers said… #Mongolia #elections",
        hours=1,
    ),
    "translation into Russian": item(
        "Наблюдатели ОБСЕ: выборы в Монголии хорошо организованы, но кампания прошла неравно",
        "Парламентские выборы 11 июня в Монголии были хорошо организованы и дали избирателям реальный выбор "
        "из 19 партий, однако в ходе кампании использовались административные ресурсы, говорится в "
        "предварительном заявлении международных наблюдателей. Миссия направила 312 наблюдателей из 38 стран.",
        lang="ru",
        hours=6,
    ),
    "translation into French": item(
        "Mongolie : un scrutin bien organisé mais une campagne inéquitable, selon les observateurs",
        "OULAN-BATOR – Les élections législatives du 11 juin en Mongolie ont été bien organisées et ont offert "
        "un véritable choix entre 19 partis, selon la déclaration préliminaire de la mission d'observation du "
        "BIDDH de l'OSCE, qui a déployé 312 observateurs de 38 pays. La participation s'établit à 68,2 %.",
        lang="fr",
        hours=9,
    ),
}


@pytest.mark.parametrize("name", list(MERGE_CASES))
def test_copies_and_translations_join_the_story(name: str) -> None:
    assert same_story(PRELIM, MERGE_CASES[name])


# Reports of one event whose headlines name it in other words than "preliminary statement", "opens".
REWORDED_PAIRS = {
    "observers' assessment, English and French": (
        item(
            "EU observers find Mongolian polls competitive, urge faster publication of results",
            "ULAANBAATAR – The European Union Election Observation Mission said on Monday that the 11 June "
            "elections were competitive and well administered in 96 per cent of the polling stations it visited, "
            "but that results were published slowly.",
            bodies=("eu-eom",),
        ),
        item(
            "Mongolie : la MOE UE salue un scrutin compétitif mais pointe la lenteur des résultats",
            "La mission d'observation électorale de l'Union européenne a estimé lundi que les élections du 11 juin "
            "avaient été compétitives et bien administrées dans 96 % des bureaux visités.",
            lang="fr",
            hours=4,
            bodies=("eu-eom",),
        ),
    ),
    "no genuine choice, Russian and English, OSCE and ODIHR": (
        item(
            "Наблюдатели ОБСЕ указали на отсутствие подлинной конкуренции на выборах в Монголии",
            "Голосование 11 июня прошло спокойно, однако у избирателей не было реального выбора, заявили "
            "наблюдатели ОБСЕ. Миссия направила 312 наблюдателей.",
            lang="ru",
            bodies=("osce",),
        ),
        item(
            "Mongolia: vote technically sound, but voters had no meaningful choice, ODIHR says",
            "The 11 June vote was technically well run but offered no meaningful choice, the ODIHR mission of "
            "312 observers said.",
            hours=2,
            bodies=("osce-odihr",),
        ),
    ),
    "polling hours extended, two wordings": (
        item(
            "Mongolia extends voting after ballot shortages leave voters queuing",
            "ULAANBAATAR – The General Election Commission extended voting at some polling stations in Darkhan "
            "after shortages of ballot papers left voters queuing for hours.",
            bodies=("election-commission",),
        ),
        item(
            "Voting extended in Darkhan as ballot papers run out; election commission apologises",
            "The General Election Commission has extended voting at designated polling stations in Darkhan after "
            "ballot papers ran out. The Commission apologised to voters.",
            hours=3,
            bodies=("election-commission",),
        ),
    ),
    "winners proclaimed, Spanish and English": (
        item(
            "Mongolia: la comisión electoral proclama a los 76 diputados electos",
            "La Comisión Electoral General proclamó este jueves a los 76 diputados electos en las elecciones "
            "del 11 de junio, tras resolver 14 reclamaciones.",
            lang="es",
            hours=72,
            bodies=("election-commission",),
        ),
        item(
            "Election commission proclaims 76 winning deputies after resolving complaints",
            "Mongolia's General Election Commission on Thursday proclaimed the 76 deputies elected on 11 June, "
            "after ruling on 14 complaints.",
            hours=73,
            bodies=("election-commission",),
        ),
    ),
    "observers' assessment, Portuguese and English": (
        item(
            "Mongólia: observadores da UE saúdam votação pacífica, mas criticam lentidão dos resultados",
            "A Missão de Observação Eleitoral da União Europeia considerou que as eleições de 11 de junho decorreram "
            "de forma pacífica em 96 por cento das mesas observadas, mas criticou a lentidão dos resultados.",
            lang="pt",
            bodies=("eu-eom",),
        ),
        item(
            "EU observers find Mongolian vote peaceful but results slow",
            "The European Union Election Observation Mission said the 11 June elections were peaceful in 96 per cent "
            "of the polling stations it observed, but that results were published slowly.",
            hours=2,
            bodies=("eu-eom",),
        ),
    ),
    "winner declared, English and French": (
        item(
            "Opposition candidate wins Mongolian presidency outright, election commission says",
            "The General Election Commission said the opposition candidate won 55.42 per cent of the vote against "
            "41.07 per cent for the incumbent.",
            hours=50,
            bodies=("election-commission",),
        ),
        item(
            "Mongolie : la commission électorale proclame la victoire du candidat de l'opposition",
            "La Commission électorale générale a proclamé jeudi la victoire du candidat de l'opposition, avec "
            "55,42 % des voix contre 41,07 % au président sortant.",
            lang="fr",
            hours=52,
            bodies=("election-commission",),
        ),
    ),
    "president-elect named": (
        item(
            "Election commission names opposition candidate president-elect with 55.42 percent",
            "The General Election Commission named the opposition candidate president-elect with 55.42 percent; "
            "the incumbent received 41.07 percent.",
            hours=50,
            bodies=("election-commission",),
        ),
        item(
            "Opposition candidate wins Mongolian presidency outright, election commission says",
            "The General Election Commission said the opposition candidate won 55.42 per cent of the vote against "
            "41.07 per cent for the incumbent.",
            hours=51,
            bodies=("election-commission",),
        ),
    ),
    "count in progress, English and Spanish": (
        item(
            "Mongolia heads for a hung parliament as count passes 90 percent",
            "With 90.4 per cent of polling stations counted, the ruling party had 38.2 per cent and the "
            "opposition 36.9 per cent, the General Election Commission said.",
            hours=20,
            bodies=("election-commission",),
        ),
        item(
            "Mongolia: al 90 % de actas contabilizadas, ningún partido alcanza la mayoría",
            "Con el 90,4 % de las actas contabilizadas, el partido gobernante obtiene el 38,2 % y la oposición "
            "el 36,9 %, informó la Comisión Electoral General.",
            lang="es",
            hours=18,
            bodies=("election-commission",),
        ),
    ),
    "no observation, Russian and English": (
        item(
            "БДИПЧ ОБСЕ не будет наблюдать за выборами в Монголии",
            "БДИПЧ ОБСЕ сообщило, что не получило своевременного приглашения и не направит миссию на выборы 11 июня.",
            lang="ru",
            hours=-30 * 24,
        ),
        item(
            "ODIHR regrets lack of invitation to observe Mongolian elections",
            "ODIHR said it would not deploy a mission for the 11 June elections in Mongolia, having received no "
            "timely invitation.",
            hours=-30 * 24 + 1,
        ),
    ),
    # Translations with a shared date or figure, the same headline event and hours apart: no shared
    # wording is possible, so this is all the evidence they can have.
    "new election date, English and Russian": (
        item(
            "Moldova's CEC sets April 19 for new mayoral elections in four villages",
            "CHISINAU – The Central Election Commission on Thursday called new mayoral elections in four villages "
            "for 19 April after the incumbents resigned.",
            countries=("MD",),
            bodies=("election-commission",),
        ),
        item(
            "ЦИК Молдовы назначил новые выборы примаров в четырёх сёлах",
            "Центральная избирательная комиссия Молдовы назначила на 19 апреля новые выборы примаров в четырёх "
            "сёлах, где мэры ушли в отставку.",
            lang="ru",
            hours=3,
            countries=("MD",),
            bodies=("election-commission",),
        ),
    ),
    "preliminary share of the vote, English and Russian": (
        item(
            "Ruling party keeps large majority in Tajikistan, commission says",
            "DUSHANBE – The ruling party won about 80.6 per cent of the party-list vote, the Central Commission for "
            "Elections and Referenda said on Monday, citing preliminary data.",
            countries=("TJ",),
            bodies=("election-commission",),
        ),
        item(
            "ЦКВР Таджикистана огласила предварительные итоги выборов в парламент",
            "По предварительным данным, правящая партия набрала 80,6% голосов по партийным спискам.",
            lang="ru",
            hours=4,
            countries=("TJ",),
            bodies=("election-commission",),
        ),
    ),
}


@pytest.mark.parametrize("name", list(REWORDED_PAIRS))
def test_reworded_reports_of_one_event_join_the_story(name: str) -> None:
    first, second = REWORDED_PAIRS[name]
    assert same_story(first, second)


def test_a_body_and_its_parent_count_as_one_shared_actor() -> None:
    release = fingerprint(item("ODIHR: Mongolian vote calm", "The vote was calm, ODIHR said.", bodies=("osce-odihr",)))
    wire = fingerprint(item("OSCE observers: Mongolian vote calm", "Calm vote, OSCE says.", lang="ru", hours=1))
    wire_naming_osce = fingerprint(
        item("OSCE observers: Mongolian vote calm", "Calm vote, OSCE says.", lang="ru", hours=1, bodies=("osce",))
    )
    assert evidence(wire_naming_osce, release) == evidence(wire, release) > 0


def test_headlines_naming_different_observer_missions_are_two_statements() -> None:
    def statement(title: str, bodies: tuple[str, ...], named: str, hours: float) -> Fingerprint:
        text = "Наблюдатели признали выборы президента в Монголии открытыми и соответствующими законодательству."
        tags = Tags(
            True,
            ("MN",),
            bodies,
            tuple(Evidence(f"body:{body}", named if body == bodies[0] else "СНГ", "body-alias") for body in bodies),
        )
        return fingerprint(replace(item(title, text, lang="ru", hours=hours), tags=tags))

    cis = statement("Наблюдатели СНГ: выборы в Монголии прошли открыто", ("cis",), "СНГ", 0)
    sco = statement("Миссия ШОС: выборы в Монголии прошли открыто", ("sco", "cis"), "ШОС", 2)
    cis_copy = statement("Наблюдатели СНГ: выборы в Монголии прошли открыто и спокойно", ("cis",), "СНГ", 1)
    joint = statement("Наблюдатели ПАСЕ: выборы в Монголии прошли открыто", ("pace", "osce-odihr"), "ПАСЕ", 1)
    partner = statement("БДИПЧ: выборы в Монголии прошли открыто", ("osce-odihr", "pace"), "БДИПЧ", 2)
    assert conflict(joint, partner) is None
    # As a rewrite, not a near copy of the partner's wording: only then does the evidence add up.
    reworded = replace(joint, signature=fingerprint(item("Другие слова", "Совсем другой текст.")).signature)
    led_by_the_same_partner = replace(reworded, title_bodies=partner.title_bodies)
    assert evidence(led_by_the_same_partner, partner) - evidence(reworded, partner) == OTHER_HEADLINE_ACTOR
    assert sco.title_bodies == {"sco"}
    assert conflict(sco, cis) == "headline bodies"
    assert choose_story(sco, [Candidate(1, 1, cis)]) is None
    assert choose_story(cis_copy, [Candidate(1, 1, cis)]) == 1


def test_observer_groups_without_a_body_id_tell_statements_apart() -> None:
    text = "The observers said the legislative elections were calm and transparent and the count orderly."
    union = fingerprint(
        item("AU observers: Mongolian vote calm and transparent", text, bodies=("african-union",), hours=0)
    )
    league = fingerprint(item("Arab League mission hails smooth Mongolian vote", text, bodies=(), hours=2))
    league_fr = fingerprint(
        item(
            "La mission de la Ligue arabe salue le bon déroulement du scrutin en Mongolie",
            "Les observateurs ont jugé le scrutin calme et transparent.",
            lang="fr",
            bodies=(),
            hours=3,
        )
    )
    assert league.bodies == {"arab-league"}
    assert league.title_bodies == {"arab-league"}
    assert conflict(league, union) == "bodies"
    assert choose_story(league, [Candidate(1, 1, union)]) is None
    # Named by both, the group is a shared actor as a body is.
    assert evidence(league_fr, league) >= SHARED_BODY


def test_a_shared_percentage_weighs_as_a_large_figure_even_when_whole() -> None:
    english = fingerprint(item("Mongolia: turnout reaches 83 percent, election office says", "Turnout was 83 percent."))
    french = fingerprint(
        item(
            "Mongolie : la participation atteint 83 %",
            "Le bureau électoral annonce une participation de 83 %.",
            lang="fr",
            hours=3,
        )
    )
    observers = fingerprint(item("Mongolia: 83 observers deployed", "83 observers were deployed.", hours=3))
    assert english.percents & french.percents == {"83"}
    assert evidence(english, french) - evidence(english, replace(french, percents=frozenset())) == (
        FIGURE_WEIGHT_LARGE - FIGURE_WEIGHT_SMALL
    )
    assert not observers.percents


def test_a_report_naming_no_country_joins_a_story_on_more_evidence() -> None:
    named = fingerprint(
        item("Mongolia: turnout 61.2 percent", "Turnout reached 61.2 per cent, the election commission said.")
    )
    unnamed = fingerprint(
        item(
            "La participation atteint 61,2 %",
            "La participation a atteint 61,2 %, selon la commission électorale.",
            lang="fr",
            countries=(),
            hours=2,
        )
    )
    placed = replace(unnamed, countries=named.countries)
    assert evidence(unnamed, named) == evidence(placed, named) - NO_COUNTRY_EXTRA >= MERGE_SCORE
    assert choose_story(unnamed, [Candidate(1, 1, named)]) == 1
    assert evidence(replace(unnamed, countries=frozenset({"KG"})), named) == 0.0


def test_meeting_standards_is_not_a_meeting() -> None:
    kinds = default_vocabulary().kinds_in(fold("Carter Center says the election did not meet international standards"))
    assert "meeting" not in kinds
    assert "meeting" in default_vocabulary().kinds_in(fold("Head of the EU mission meets the election commission"))


KIND_EXAMPLES = [
    ("preliminary_results", "Election office reports 90% of tally sheets counted in the regional vote"),
    ("candidate_registration", "Облизбирком завершил приём документов от кандидатов"),
    ("meeting", "ЦИК и делегация Конгресса обсудили подготовку к выборам"),
    ("recount", "Judicial recounts requested in two ridings"),
    ("recount", "Recomptages demandés dans deux circonscriptions"),
    ("recount", "El tribunal ordena el recuento de 40 mesas"),
    ("recount", "ЦИК назначил пересчёт голосов на 12 участках"),
    ("recount", "TRE determina recontagem em três seções"),
    ("poll_workers", "Election agency sets out to hire 90,000 election workers"),
    ("poll_workers", "Élections Québec lance le recrutement de 90 000 travailleurs électoraux"),
    ("poll_workers", "La Registraduría capacita a 700.000 jurados de votación"),
    ("poll_workers", "В регионе началось обучение членов участковых комиссий"),
    ("preliminary_statement", "US midterms well run but marked by polarisation, observers say"),
    ("preliminary_statement", "La OSCE avala la organización de las elecciones de medio mandato"),
    ("preliminary_statement", "Benim: missão da União Africana aponta competição limitada"),
    ("preliminary_statement", "La misión de la UE critica las leyes que limitaron la campaña"),
    ("preliminary_statement", "Bosnie : des élections générales pluralistes mais marquées par les divisions"),
    ("irregularities_reported", "Liban : la LADE dénonce des achats de voix dans le Sud"),
    ("irregularities_reported", "Observadores locales denuncian compra de votos en la capital"),
    ("irregularities_reported", "Rede de observadores denuncia compra de votos no interior"),
    ("irregularities_reported", "Opposition alleges vote-buying in three provinces"),
    ("preliminary_results", "Peru heads to a run-off in June, count shows"),
    ("final_results", "Brasil irá a segunda vuelta el 25 de octubre, según el TSE"),
    ("preliminary_results", "Colômbia vai ao segundo turno, segundo a apuração"),
    ("preliminary_results", "В Бразилии президента выберут во втором туре"),
    ("vote_postponed", "Election board postpones voting in 38 constituencies"),
    ("vote_postponed", "В Эфиопии перенесли голосование в 38 округах"),
    ("vote_postponed", "Report du scrutin dans trois circonscriptions"),
    ("vote_postponed", "El tribunal aplaza las elecciones municipales en dos distritos"),
    ("vote_postponed", "TSE adia a votação em duas cidades atingidas pelas cheias"),
    ("mission_opened", "The EU election observation mission to Malawi was formally launched on Monday"),
    ("mission_opened", "ODIHR deploys a small expert team to observe the Dutch vote"),
    ("mission_opened", "A team of ODIHR experts on election security arrived in Oslo this week"),
    ("mission_opened", "A UA lança missão de observação eleitoral em Moçambique"),
    ("mission_opened", "Los observadores de la OEA abren su sede en Tegucigalpa"),
    ("mission_opened", "La mission de l'Union africaine ouvre son siège à Niamey"),
    ("mission_opened", "The observer mission opens its headquarters in Lusaka"),
    ("mission_opened", "Zambian watchdog sends 1,200 monitors to the by-elections"),
    ("mission_opened", "La OEA enviará una misión de observación a las elecciones de Honduras"),
    ("mission_opened", "A CPLP enviará missão de observação às eleições em São Tomé"),
    ("mission_opened", "L'Union africaine enverra 40 observateurs au Tchad"),
    ("mission_opened", "ПА ОДКБ направит миссию на выборы в Киргизии"),
    ("preliminary_statement", "ШОС: довыборы в Туркменистане легитимны"),
    ("preliminary_statement", "CIS mission calls the Tajik referendum legitimate"),
    ("preliminary_statement", "Pour la CEI, le scrutin est légitime"),
    ("preliminary_statement", "Observadores de la CEI: las elecciones fueron legítimas"),
    ("preliminary_statement", "Миссия ОДКБ: выборы соответствуют национальному законодательству"),
    ("preliminary_statement", "Миссия ОДКБ не выявила серьёзных нарушений"),
    ("preliminary_statement", "The CIS mission found no serious violations"),
    ("preliminary_statement", "La mission n'a relevé aucune irrégularité majeure"),
    ("preliminary_statement", "La misión no detectó irregularidades graves"),
    ("mission_opened", "Arrivée à Dakar de la mission d'observation de la CEDEAO"),
    ("mission_opened", "Llegada de la misión de observadores de la UE a Quito"),
    ("mission_opened", "Прибытие миссии наблюдателей СНГ в Душанбе"),
    ("preliminary_results", "Com 95% das urnas apuradas, TSE confirma segundo turno"),
    ("preliminary_results", "Второй тур выборов в Перу пройдёт 7 июня"),
    ("final_results", "No habrá segunda vuelta en Paraguay"),
    ("preliminary_results", "El TSE anuncia una tendencia irreversible"),
    ("meeting", "A Council of Europe delegation held talks in Chisinau with the electoral commission"),
    ("meeting", "La délégation s'est entretenue avec la commission électorale à Tbilissi"),
    ("meeting", "Делегация провела в Ереване консультации с ЦИК"),
    ("meeting", "La misión sostuvo reuniones con el Consejo Nacional Electoral"),
    ("irregularities_reported", "Teachers pressed to report their votes to school directors"),
    ("irregularities_reported", "Monitors saw organised transport of voters in two districts"),
    ("irregularities_reported", "Monitors describe pressure on public sector employees to vote"),
    ("irregularities_reported", "Наблюдатели сообщают о давлении на бюджетников"),
    ("irregularities_reported", "L'opposition dénonce des pressions sur les fonctionnaires"),
    ("irregularities_reported", "La misión constató presiones sobre los empleados públicos"),
    ("voter_registration", "La commission arrête les listes électorales à 6,1 millions d'inscrits"),
    ("candidate_registration", "Electoral council clears four tickets for the presidential race"),
    ("candidate_registration", "Election board recognises two new political parties"),
    ("candidate_registration", "La CENI publie la liste définitive des candidats"),
    ("candidate_registration", "El tribunal habilita a cinco candidatos presidenciales"),
    ("candidate_registration", "TRE defere candidaturas de três chapas"),
    ("candidate_registration", "Избирком допустил к выборам пять кандидатов"),
    ("turnout", "Record early voting ahead of Sunday's general election"),
    ("turnout", "Más de un millón votaron por anticipado, un récord de voto anticipado"),
    ("preliminary_results", "Com 98% das seções apuradas, candidata lidera"),
    ("preliminary_results", "Segundo a contagem preliminar, haverá segundo turno"),
    ("voting_technology", "Online voting will be offered in 12 regions"),
    ("voting_technology", "ЦИК: дистанционное электронное голосование пройдет в 20 регионах"),
    ("voting_technology", "Tribunal lacra os sistemas das urnas eletrônicas"),
    ("voting_technology", "El órgano electoral audita las urnas electrónicas"),
    ("voting_technology", "Le vote électronique testé dans trois cantons"),
    ("agreement_signed", "Election commission and OAS sign agreement for the observation mission"),
    ("agreement_signed", "ЦИК и БДИПЧ подписали меморандум о сотрудничестве"),
    ("agreement_signed", "La CENI et l'Union africaine signent un accord d'observation"),
    ("agreement_signed", "El TSE y la OEA firman el acuerdo para observar las elecciones"),
    ("agreement_signed", "TSE assina acordo com a OEA para missão de observação"),
    ("irregularities_reported", "Observer group logged over 1,000 irregularity reports on election day"),
    ("irregularities_reported", "Наблюдатели зафиксировали более 300 нарушений"),
    ("irregularities_reported", "La coalition a reçu 412 signalements d'irrégularités"),
    ("irregularities_reported", "La MOE recibió más de mil reportes de irregularidades"),
    ("irregularities_reported", "Plataforma recebeu 500 denúncias de compra de votos"),
    ("polls_opened", "Polls open across the country as voters choose a new parliament"),
    ("turnout", "Afluência às 16h00 sobe para 43,9%"),
    ("polls_opened", "Избирательные участки открылись в 8:00 по местному времени"),
    ("polls_opened", "Les bureaux de vote ont ouvert à 7 heures"),
    ("polls_opened", "Se instalan las mesas en todo el país: arranca la jornada electoral"),
    ("polls_opened", "Abrem as urnas em todo o país"),
    ("preliminary_results", "Commission completes count of first-round votes"),
    ("preliminary_results", "Com 98 % das urnas apuradas, prefeito lidera"),
    ("preliminary_results", "La JCE emite su quinto boletín con el 92 % de las mesas"),
    ("election_called", "Commission schedules by-elections in four constituencies"),
    ("election_called", "Moldova to hold new mayoral elections in nine localities on May 17"),
    ("election_called", "Georgia will hold local elections on 4 October"),
    ("election_called", "Nepal to vote on Mar 5 after parliament is dissolved"),
    ("election_called", "Les législatives partielles le 8 févr. dans trois circonscriptions"),
    ("election_called", "Moldova to hold local elections in two towns on 14 June"),
    ("candidate_registration", "Nominations closed on Friday with 412 candidates for 80 seats"),
    ("candidate_registration", "Over 300 hopefuls filed nomination papers in the capital"),
    ("candidate_registration", "La commission publie la liste définitive des candidats à la présidentielle"),
    ("candidate_registration", "Избирком зарегистрировал всех участников выборов мэра"),
    ("voter_registration", "Number of registered voters tops 12 million"),
    ("voter_registration", "Число избирателей в стране превысило 7 миллионов"),
    ("voter_registration", "El número de electores habilitados llega a 3,1 millones"),
    ("preliminary_results", "В регионе завершён подсчёт голосов"),
    ("preliminary_results", "El TREP alcanza el 80 % de las actas"),
    ("preliminary_results", "Según el PREP, Morena aventaja con el 54 % de las actas"),
    ("irregularities_reported", "Vote buying mars municipal run-off in the north"),
    ("irregularities_reported", "Des achats de voix signalés dans trois communes"),
    ("voting_technology", "Observers flag counting machine glitches in two provinces"),
    ("voting_technology", "Electoral court opens public hacking test of voting machines"),
    ("results_annulled", "Commission annuls results in two constituencies over fraud"),
    ("results_annulled", "Le Conseil annule le scrutin dans quatre bureaux de vote"),
    ("results_annulled", "Итоги голосования на трёх участках признаны недействительными"),
    ("results_annulled", "El tribunal anula las elecciones municipales en dos distritos"),
    ("preparations_completed", "Commission says arrangements are complete for Sunday's by-elections"),
    ("preparations_completed", "La CENI achève les préparatifs du double scrutin"),
    ("preparations_completed", "Облизбирком завершил подготовку к выборам губернатора"),
    ("preparations_completed", "El órgano electoral está listo para las elecciones del domingo"),
    ("coordinator_appointed", "OSCE Chair appoints Special Co-ordinator for the short-term observers"),
    ("coordinator_appointed", "Председатель ПА ОБСЕ назначил специального координатора миссии"),
    ("coordinator_appointed", "El Secretario General designa al jefe de la misión de observación"),
    ("law_amendment", "Parliament passes amendments to the Electoral Code in first reading"),
    ("law_amendment", "Правительство внесло поправки в Избирательный кодекс"),
    ("law_amendment", "Le gouvernement présente une réforme de la loi électorale"),
    ("law_amendment", "El Congreso aprueba una reforma a la ley electoral"),
    ("out_of_country_voting", "Diaspora voters queue at 200 polling stations abroad"),
    ("out_of_country_voting", "Más de 50.000 ciudadanos votaron desde el exterior"),
    ("out_of_country_voting", "Голосование за рубежом пройдёт на 140 участках"),
    ("candidate_registration", "Облизбирком завершил регистрацию участников выборов в городскую думу"),
    ("candidate_registration", "В Грузии 14 партий и 2 блока пойдут на выборы"),
    ("candidate_registration", "Nine parties will contest the snap parliamentary election"),
    ("voter_registration", "La Junta abre el plazo de revisión del censo electoral"),
    ("meeting", "The mission's core team met on Tuesday with the Central Election Commission"),
    ("meeting", "Observers discussed preparations with the regional governor"),
    ("election_called", "В Монголии назначены довыборы в парламент"),
    ("irregularities_reported", "Observers report voters bussed to polling stations"),
    ("irregularities_reported", "Коалиция зафиксировала подвоз избирателей"),
    ("candidate_registration", "A third of would-be candidates denied registration"),
    ("preliminary_results", "Reelected in the first round, according to partial results"),
    ("preliminary_results", "Moçambique: CNE divulga resultados parciais"),
    ("preliminary_statement", "La UE ve una segunda vuelta bien organizada, aunque en un terreno de juego desigual"),
    ("final_results", "El CNE declara la elección del presidente y entrega las credenciales"),
    ("final_results", "TRE realiza a diplomação dos eleitos"),
    ("final_results", "Commission notifies winners of four by-elections"),
    ("preliminary_results", "Fiyi: los resultados provisionales no dan la mayoría a ningún partido"),
    ("court_ruling", "Constitutional Court confirms presidential result"),
    ("court_ruling", "Constitutional Council upholds by-election result"),
    ("court_ruling", "La Cour constitutionnelle proclame les résultats définitifs"),
    ("preliminary_statement", "Referendum orderly, OAS mission says"),
    ("voter_registration", "La CENI publie l'audit du fichier électoral"),
    ("mission_opened", "La mission d'observation de l'UE lance ses travaux à Beyrouth"),
    ("mission_opened", "Observadores de la CEI comienzan su labor en Turkmenistán"),
    ("mission_opened", "Les observateurs de la CEI commencent leurs travaux"),
    ("mission_opened", "Observadores da CPLP começam os trabalhos em Bissau"),
    ("preliminary_statement", "Run-off well run but the playing field was uneven"),
    ("mission_opened", "80 observateurs de la CEDEAO attendus avant le scrutin"),
    ("parallel_tally", "Citizen observers' PVT puts the incumbent on 56.2%"),
    ("parallel_tally", "Misión de observación presenta su conteo rápido"),
    ("preliminary_statement", "Миссия СНГ: выборы соответствовали законодательству"),
    ("preliminary_statement", "Первый тур выборов прошёл мирно и организованно"),
    ("preliminary_statement", "Mongolie : le BIDDH juge les législatives concurrentielles"),
    ("preliminary_statement", "ОБСЕ оценила выборы как конкурентные"),
    ("final_results", "L'ANIE annonce la réélection du président sortant"),
    ("final_results", "ЦИК России утвердил итоги выборов президента"),
    ("final_results", "Référendum : le « oui » l'emporte d'une courte tête"),
    ("election_called", "Жапаров подписал указ о досрочных выборах"),
    ("election_called", "Le président convoque des législatives anticipées"),
    ("voter_registration", "CEN inicia atualização do recenseamento eleitoral"),
    ("voter_registration", "UNDP supports voter registration update"),
    ("preliminary_statement", "ECOWAS mission: calm legislative elections in Benin"),
    ("final_results", "Guinée : le « oui » à 88,9 % selon la DGE"),
    ("preliminary_results", "La autoridad electoral da la victoria al presidente saliente"),
    ("court_ruling", "Zambia's Constitutional Court dismisses the petition against the presidential result"),
    ("court_ruling", "La Cour constitutionnelle valide l'élection présidentielle"),
    ("court_ruling", "La Sala Constitucional anula la elección municipal"),
    ("court_ruling", "O Tribunal Constitucional rejeita o recurso e valida as eleições"),
    ("court_ruling", "Верховный суд отклонил жалобу на итоги выборов"),
    ("election_called", "Commission announces 12 March polling date"),
    ("election_called", "Les législatives fixées au 12 mars"),
    ("election_called", "El CNE fija la fecha de las elecciones regionales"),
    ("election_called", "Eleições autárquicas marcadas para 12 de outubro"),
    ("election_called", "Выборы мэра назначены на 12 сентября"),
    ("final_results", "Chile elects new president in run-off"),
    ("final_results", "Uruguay elige nuevo presidente"),
    ("preliminary_results", "Presidenciais: vai haver segunda volta a 8 de fevereiro"),
    ("preliminary_statement", "Elections efficiently administered but lacking genuine competition"),
    ("preliminary_statement", "Выборы хорошо организованы, но реальной конкуренции не было"),
    ("preliminary_statement", "AU mission urges the commission to speed up the count"),
    ("preliminary_statement", "Observadores da UE apontam irregularidades na contagem"),
    ("parallel_tally", "Экспресс-подсчёт: кандидат правящей партии лидирует"),
    ("final_results", "Incumbent wins by a landslide, commission says"),
    ("needs_assessment", "Needs assessment mission recommends deploying a full observation mission"),
    ("election_called", "ЦИК представил дорожную карту подготовки к выборам"),
    ("election_called", "Повторные выборы в округе №12 пройдут 26 апреля"),
    ("election_called", "Guinée : législatives et communales le 24 mai"),
    ("election_called", "Las elecciones regionales se celebrarán el 9 de marzo"),
    ("election_called", "Municipal elections will be held on 9 March"),
    ("election_called", "El TSE fija la segunda vuelta departamental para el 19 de abril"),
    ("turnout", "Венгрия: к 13:00 проголосовали 42,6% избирателей"),
    ("reaction", "The EU takes note of the preliminary findings of the observation mission"),
    ("reaction", "La France prend acte des conclusions de la mission d'observation"),
    ("reaction", "España toma nota de las conclusiones preliminares de la misión"),
    ("reaction", "МИД принял к сведению выводы миссии наблюдателей"),
    ("reaction", "Portugal toma nota das conclusões da missão"),
    ("reaction", "Government calls the observers' assessment biased"),
    ("reaction", "МИД назвал оценку миссии предвзятой"),
    ("reaction", "Le gouvernement rejette les conclusions de la mission"),
    ("reaction", "La Cancillería rechaza el informe de la misión"),
    ("final_report", "БДИПЧ опубликовало финальный доклад по выборам"),
    ("voter_registration", "Lancement de l'inscription des électeurs avec l'appui de l'IFES"),
    ("preliminary_results", "Presidential race heads to October 25 run-off, electoral court says"),
    ("preliminary_results", "Eleição presidencial vai para o segundo turno em 25 de outubro"),
    ("preliminary_results", "La Registraduría entrega el preconteo del 98 % de las mesas"),
    ("election_called", "CEC sets repeat election in constituency No. 7 for May 3"),
    ("election_called", "President calls legislative elections for June 20"),
    ("election_called", "SADC team reviews the transition election timetable"),
    ("election_called", "Election body drafts plan for first post-war vote"),
    ("election_called", "ЦИК подготовил дорожную карту выборов"),
    ("election_called", "Mongolia to elect president on 9 June"),
    ("election_called", "Guatemala formally calls June 20 general election"),
    ("election_called", "ЦИК утвердил календарь местных выборов"),
    ("voter_registration", "La DGE lance la révision exceptionnelle des listes électorales"),
    ("preliminary_statement", "Le collectif salue des territoriales apaisées"),
]


def test_a_date_to_elect_a_president_is_not_the_result() -> None:
    kinds = default_vocabulary().kinds_in(fold("Mongolia to elect president on 9 June"))
    assert "final_results" not in kinds
    assert "election_called" not in default_vocabulary().kinds_in(fold("Observers call for peaceful elections"))


def test_dates_ahead_of_the_clock_still_time_reports_for_dedupe() -> None:
    # A source whose dates lie ahead of this machine's clock: shown at first sighting, timed by its own dates.
    seen = T0 - timedelta(days=200)

    def ahead(report: Item, claimed: datetime) -> Item:
        return replace(report, published=seen, published_is_fallback=True, claimed_published=claimed)

    copy = item(
        "Mongolia's elections well organised but campaign uneven, observers say",
        "International observers said on 12 June 2028 that Mongolia's 11 June parliamentary elections were well "
        "organised and offered voters a genuine choice among 19 parties; turnout was 68.2 per cent.",
        hours=2,
    )
    assert same_story(ahead(PRELIM, T0), ahead(copy, T0 + timedelta(hours=2)))
    assert fingerprint(ahead(copy, T0)).published == T0
    years_ahead = fingerprint(ahead(copy, seen + timedelta(days=3650)))
    assert years_ahead.published_is_fallback
    assert years_ahead.published == seen


def test_a_reaction_to_the_observers_findings_is_not_their_statement() -> None:
    reaction = item(
        "EU urges Mongolia's new parliament to press on with reforms after the vote",
        "The EU took note of the preliminary findings of the international election observation mission and "
        "called on the newly elected parliament of Mongolia to address the misuse of administrative resources.",
        hours=3,
        bodies=("eu", "european-parliament"),
    )
    wire_copy = item(
        "Observers: Mongolia's vote well organised, campaign uneven; EU takes note",
        "International observers said in a preliminary statement that the 11 June elections were well organised. "
        "The EU took note of the preliminary findings.",
        hours=2,
    )
    assert not same_story(PRELIM, reaction)
    assert "reaction" in fingerprint(reaction).kinds
    assert "preliminary_statement" in fingerprint(wire_copy).kinds


def test_a_share_of_voters_who_voted_is_turnout_not_a_result() -> None:
    kinds = default_vocabulary().kinds_in(fold("К 13:00 проголосовали 42,6% избирателей"))
    assert "turnout" in kinds
    assert not kinds & {"preliminary_results", "final_results"}
    assert default_vocabulary().kinds_in(fold("На референдуме «да» проголосовали 50,35%")) & {"final_results"}


def test_a_call_to_publish_results_is_not_their_publication() -> None:
    kinds = default_vocabulary().kinds_in(fold("Observers urge the commission to publish results by polling station"))
    assert not kinds & {"preliminary_results", "final_results"}


def test_an_election_authority_confirming_its_count_is_not_a_court_ruling() -> None:
    kinds = default_vocabulary().kinds_in(fold("El Tribunal Supremo Electoral confirma los resultados oficiales"))
    assert "final_results" in kinds
    assert "court_ruling" not in kinds


def test_headlines_leading_with_different_parts_of_one_announcement_are_not_different_events() -> None:
    turnout_led = item(
        "CEC: ruling party first in Mongolia's election, turnout 68.2%",
        "The General Election Commission announced the final results: turnout was 68.2 per cent and the ruling "
        "party won 42 of 76 seats.",
        bodies=("election-commission",),
    )
    results_led = item(
        "ЦИК Монголии огласил окончательные итоги выборов",
        "Центральная избирательная комиссия огласила окончательные итоги: явка составила 68,2%, правящая партия "
        "получила 42 из 76 мест.",
        lang="ru",
        hours=3,
        bodies=("election-commission",),
    )
    noon_turnout = item(
        "Turnout at 21.3% by noon in Mongolia, CEC says",
        "Turnout reached 21.3 per cent by noon, the General Election Commission said.",
        hours=-30,
        bodies=("election-commission",),
    )
    assert same_story(turnout_led, results_led)
    assert not same_story(noon_turnout, results_led)


def test_results_named_without_detail_match_provisional_and_final_but_those_never_each_other() -> None:
    kinds = default_vocabulary().kinds_in
    unspecified = kinds(fold("Эквадор: итоги второго тура"))
    provisional = kinds(fold("La CEI annonce les résultats provisoires"))
    final = kinds(fold("Election commission announces final results"))
    assert unspecified == {"preliminary_results", "final_results"}
    assert unspecified & provisional
    assert unspecified & final
    assert not provisional & final


@pytest.mark.parametrize(("kind", "text"), KIND_EXAMPLES)
def test_event_kinds_are_named_in_every_language(kind: str, text: str) -> None:
    assert kind in default_vocabulary().kinds_in(fold(text))


# Different events of one mission (and one election), written as similarly as real coverage is.
MISSION_EVENTS = {
    "opening": item(
        "ODIHR opens election observation mission in Mongolia",
        "ULAANBAATAR, 2 May 2028 – ODIHR today opened an election observation mission for the 11 June "
        "parliamentary elections. The mission consists of 12 experts in the capital and 24 long-term observers.",
        hours=-41 * 24,
    ),
    "interim report": item(
        "ODIHR mission in Mongolia publishes interim report",
        "ULAANBAATAR, 26 May 2028 – The ODIHR election observation mission for the 11 June parliamentary "
        "elections today published its interim report, covering the period from 2 to 22 May.",
        hours=-17 * 24,
    ),
    "preliminary statement": PRELIM,
    "final report": item(
        "ODIHR final report on Mongolia's parliamentary elections offers 21 recommendations",
        "ODIHR today published its final report on the 11 June parliamentary elections in Mongolia, "
        "offering 21 recommendations, including on campaign finance and the misuse of administrative resources.",
        hours=60 * 24,
    ),
    "election-day statement of citizen observers, day before": item(
        "Citizen observers report queues and minor irregularities by midday",
        "Domestic observer coalition Open Vote said at noon that its 1,500 observers had seen long queues "
        "and minor irregularities at polling stations across Mongolia.",
        hours=-21,
        bodies=("citizen-observers",),
    ),
    "another mission's statement the same day": item(
        "Commonwealth-style group of Asian observers says Mongolian polls peaceful",
        "The Asian Network for Free Elections said in its preliminary statement on Monday that Mongolia's "
        "parliamentary elections were peaceful and well organised. Its 30 observers visited 400 polling stations.",
        hours=2,
        bodies=("anfrel",),
    ),
    "preliminary results the same morning": item(
        "Election commission: turnout 68.2% as preliminary count completed",
        "The General Election Commission said on Monday that turnout was 68.2 per cent after processing "
        "preliminary results from all 2,100 polling stations.",
        hours=-4,
        bodies=("election-commission",),
    ),
    "winners declared three days later": item(
        "Election commission certifies results: ruling party wins 44 of 76 seats",
        "The General Election Commission certified the results of the 11 June parliamentary elections on "
        "Thursday: the ruling party won 44 of the 76 seats and turnout was 68.2 per cent.",
        hours=72,
        bodies=("election-commission",),
    ),
    "turnout at noon on election day": item(
        "Election commission: turnout at 12:00 reached 31.5%",
        "By 12:00 local time 31.5 per cent of voters had cast their ballots, the General Election Commission said.",
        hours=-22,
        bodies=("election-commission",),
    ),
}


def test_different_events_of_one_mission_stay_apart() -> None:
    fingerprints = {name: fingerprint(event) for name, event in MISSION_EVENTS.items()}
    for name, fp in fingerprints.items():
        others = [
            Candidate(n, n, other) for n, (other_name, other) in enumerate(fingerprints.items()) if other_name != name
        ]
        assert choose_stories(fp, others) == [], name


def test_two_stories_of_one_event_are_merged_by_the_item_that_links_them() -> None:
    english = fingerprint(PRELIM)
    russian = fingerprint(MERGE_CASES["translation into Russian"])
    rewrite = fingerprint(MERGE_CASES["rewritten headline over the same facts"])
    candidates = [Candidate(1, 1, english), Candidate(2, 2, russian)]
    assert choose_stories(rewrite, candidates) in ([1, 2], [2, 1])


def test_conflicts_rule_a_story_out() -> None:
    prelim = fingerprint(PRELIM)
    other_country = fingerprint(item(PRELIM.title, PRELIM.summary, countries=("KZ",)))
    assert conflict(other_country, prelim) == "countries"
    other_body = fingerprint(item(PRELIM.title, PRELIM.summary, bodies=("cis",)))
    assert conflict(other_body, prelim) == "bodies"
    irrelevant = fingerprint(item(PRELIM.title, PRELIM.summary, relevant=False))
    assert conflict(irrelevant, prelim) == "relevance"
    a_year_later = fingerprint(item(PRELIM.title, PRELIM.summary, hours=365 * 24))
    assert conflict(a_year_later, prelim) == "time"
    assert choose_story(a_year_later, [Candidate(1, 1, prelim)]) is None


def test_undated_repost_is_placed_at_the_date_it_mentions() -> None:
    repost = item(
        "Наблюдатели: выборы 11 июня в Монголии хорошо организованы",
        "Предварительное заявление международной миссии наблюдения по выборам 11 июня: 312 наблюдателей из "
        "38 стран, выборы хорошо организованы, но кампания прошла неравно.",
        lang="ru",
        hours=150 * 24,  # first seen months later: the feed gave no date
        undated=True,
    )
    fp = fingerprint(repost)
    assert fp.event_days == (datetime(2028, 6, 11, tzinfo=UTC).date().toordinal(),)
    assert same_story(PRELIM, repost)


def test_undated_item_is_placed_between_its_dated_neighbours_in_the_feed() -> None:
    day = T0.date().toordinal()
    newest_first = [
        item("a", "a", hours=48),
        item("b", "b", hours=500, undated=True),
        item("c", "c", hours=-24),
        item("d", "d", hours=500, undated=True),
    ]
    assert undated_windows(newest_first) == [None, (day - 1, day + 2), None, (day - 8, day - 1)]
    oldest_first = [
        item("w", "w", hours=500, undated=True),
        item("x", "x"),
        item("y", "y", hours=24),
        item("z", "z", hours=500, undated=True),
    ]
    first_seen = (T0 + timedelta(hours=500)).date().toordinal()
    assert undated_windows(oldest_first) == [(day - 7, day), None, None, (day + 1, first_seen)]
    out_of_order = [item("p", "p"), item("q", "q", hours=72), item("r", "r", hours=24), item("s", "s", undated=True)]
    assert undated_windows(out_of_order) == [None, None, None, None]


def test_undated_repost_naming_no_date_joins_the_story_its_feed_neighbours_frame() -> None:
    repost = item(
        "EU observers: Mongolian vote well organised, campaign uneven",
        "The vote offered a genuine choice among 19 parties but the campaign was uneven, the observers said. "
        "Turnout was 68.2 per cent.",
        hours=150 * 24,
        undated=True,
    )
    day = T0.date().toordinal()
    framed = fingerprint(repost, undated_window=(day - 3, day + 1))
    assert framed.event_days == ()
    seen = day + 150
    assert framed.search_days == (seen - UNDATED_SEARCH_DAYS, seen + SEARCH_DAYS)
    assert framed.index_days == (UNDATED_DAY,)
    assert choose_story(framed, [Candidate(1, 1, fingerprint(PRELIM))]) == 1
    # Neighbours months away do not keep it out (channels list posts out of order), but it is then no
    # near copy: its figures and words must carry it as for a rewrite.
    months_away = fingerprint(repost, undated_window=(day + 90, day + 95))
    prelim = fingerprint(PRELIM)
    assert MERGE_SCORE <= evidence(months_away, prelim) < NEAR_COPY_SCORE
    assert choose_story(months_away, [Candidate(1, 1, prelim)]) == 1
    assert Fingerprint.from_json(framed.to_json(), framed.signature_bytes()).undated_window == (day - 3, day + 1)


def test_undated_post_outside_its_feed_frame_needs_more_evidence_than_a_placed_one() -> None:
    day = T0.date().toordinal()
    strong = item(
        "Observers: Mongolian vote orderly, turnout 68.2 per cent",
        "The vote offered a genuine choice among 19 parties, the EU observers said. Turnout was 68.2 per cent.",
        hours=150 * 24,
        undated=True,
    )
    weak = item(
        "Mongolia: observers comment on the vote",
        "Observers said the vote in Mongolia went well.",
        hours=150 * 24,
        undated=True,
    )
    elsewhere = (day + 60, day + 61)
    prelim = fingerprint(PRELIM)
    assert choose_story(fingerprint(strong, undated_window=elsewhere), [Candidate(1, 1, prelim)]) == 1
    assert choose_story(fingerprint(weak, undated_window=elsewhere), [Candidate(1, 1, prelim)]) is None
    # Published before it was first seen, never long after.
    later = fingerprint(item("x", "x", hours=200 * 24))
    assert evidence(fingerprint(strong, undated_window=elsewhere), later) == 0.0


def test_text_features_survive_translation() -> None:
    vocab = default_vocabulary()
    assert numbers(fold("Turnout 67.4 per cent at 10,120 stations in 2026"), vocab) == (
        frozenset({"67.4", "10120"}),
        frozenset({"67.4"}),
    )
    assert numbers(fold("явка 67,4% на 10 120 участках"), vocab)[1] == frozenset({"67.4"})
    assert numbers(fold("más de mil reportes: 1.024 por compra de votos, 3,4 mil observadores"), vocab)[0] == {
        "1000",
        "1024",
        "3400",
    }
    assert numbers(fold("over 1,000 reports: 1,024 on vote buying, 3,400 observers"), vocab)[0] == {
        "1000",
        "1024",
        "3400",
    }
    assert numbers(fold("более 1,2 тыс. наблюдателей"), vocab)[0] == {"1200"}
    assert numbers(fold("87,28 % за кандидата"), vocab)[1] & numbers(fold("87.3 percent"), vocab)[1]
    found, without_dates = find_dates(fold("on 26 April; April 26; 26 апреля; 26 avril; 26 de abril"), vocab)
    assert found == {(4, 26)}
    assert without_dates == "on  ;  ;  ;  ;  "
    assert numbers(find_dates(fold("67 observers arrived on 26 April 2026"), vocab)[1], vocab) == ({"67"}, set())
    # Both ends of a range are dates, and neither is a figure; a number that cannot be a day stays one.
    for text in ("12–14 сентября", "September 12-14", "du 12 au 14 septembre", "del 12 al 14 de septiembre"):
        found, without_dates = find_dates(fold(text), vocab)
        assert found == {(9, 12), (9, 14)}, text
        assert numbers(without_dates, vocab) == (set(), set()), text
    found, without_dates = find_dates(fold("turnout 56 and 14 April"), vocab)
    assert found == {(4, 14)}
    assert numbers(without_dates, vocab)[0] == {"56"}
    assert names("Observers in Bishkek met ISFED. Turnout rose.") == {name_key("Bishkek"), name_key("ISFED")}
    assert name_key("Bishkek") == name_key("Бишкеке")
    assert name_key("Yerevan") == name_key("Ереван")


def test_shingles_are_word_trigrams() -> None:
    assert shingles(["a", "b", "c", "d"]) == {"a b c", "b c d"}
    assert shingles(["a", "b"]) == {"a b"}
    assert shingles([]) == set()


_FIGURE_LOOKBEHIND_FIRST = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:(?:[ \u00a0\u202f]|[,.](?=\d{3}\b))\d{3})+|\d+)(?:[.,](\d{1,2})(?!\d))?(?!\w)"
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789 ,.a\u00a0%", max_size=24))
def test_figures_are_read_as_the_lookbehind_first_pattern_reads_them(text: str) -> None:
    vocab = default_vocabulary()
    figures: set[str] = set()
    for match in _FIGURE_LOOKBEHIND_FIRST.finditer(text):
        digits = re.sub(r"\D", "", match[1])
        value = f"{int(digits)}.{match[2]}" if match[2] else str(int(digits))
        if not (match[1].isdigit() and re.match(r"^(19|20)\d\d$", value)):
            figures.add(value)
        if match[2] and len(match[2]) == 2:
            rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if rounded != int(rounded):
                figures.add(str(rounded))
    assert numbers(text, vocab)[0] == figures


_AGENCY_LEAD = (
    "ULAANBAATAR - The General Election Commission of Mongolia said the ruling party's list received about "
    "44 percent of the vote in the parliamentary elections, with opposition parties sharing most of the rest."
)


def test_the_next_report_in_the_agency_s_same_words_days_later_is_another_story() -> None:
    preliminary = item("Preliminary results give ruling party 44 percent", _AGENCY_LEAD, hours=0)
    # A headline that names no event of the vocabulary, over the agency's usual lead.
    certified = item("District counts confirm the ruling party's lead", _AGENCY_LEAD, hours=6 * 24)
    assert not same_story(preliminary, certified)


def test_a_republication_days_later_under_the_same_headline_joins_the_story() -> None:
    first = item("Preliminary results give ruling party 44 percent", _AGENCY_LEAD, hours=0)
    again = item("Preliminary results give ruling party 44 percent", _AGENCY_LEAD + " Turnout was high.", hours=4 * 24)
    assert same_story(first, again)


def test_minhash_permutations_pick_different_shingles_and_estimate_overlap() -> None:
    first = {f"w{i} w{i + 1} w{i + 2}" for i in range(40)}
    second = {f"w{i} w{i + 1} w{i + 2}" for i in range(20, 60)}
    # True Jaccard similarity 1/3: the estimate lands near it, not at 0 or 1.
    assert 0.15 <= minhash.similarity(minhash.signature(first), minhash.signature(second)) <= 0.55
    assert len(set(minhash.band_keys(minhash.signature(first)))) == minhash.BANDS


def test_voters_going_to_the_polls_are_not_a_list_of_who_stands() -> None:
    vocab = default_vocabulary()
    assert "candidate_registration" not in vocab.kinds_in(fold("Избиратели пойдут на выборы в воскресенье"))
    assert "candidate_registration" not in vocab.kinds_in(fold("Voters will contest the result in court"))


def test_translated_reports_of_one_kind_with_nothing_else_in_common_stay_apart() -> None:
    north = item(
        "Observers report vote buying in northern districts",
        "Citizen observers said they had recorded cases of vote buying in three northern districts on Sunday.",
        countries=("MD",),
        bodies=("citizen-observers",),
    )
    south = item(
        "Наблюдатели сообщили о вбросах бюллетеней на юге страны",
        "Гражданские наблюдатели зафиксировали вбросы бюллетеней на двух участках на юге страны.",
        lang="ru",
        hours=2,
        countries=("MD",),
        bodies=("citizen-observers",),
    )
    assert not same_story(north, south)


def test_a_percentage_rounded_to_a_whole_number_is_the_same_figure() -> None:
    commission = item(
        "Georgia's CEC approves final results of local elections",
        "TBILISI – The Central Election Commission approved the final results of the 4 October local elections on "
        "Wednesday. Final turnout was 40.9 percent.",
        countries=("GE",),
        bodies=("election-commission",),
    )
    wire = item(
        "ЦИК Грузии утвердил окончательные итоги местных выборов",
        "Центральная избирательная комиссия Грузии утвердила окончательные итоги местных выборов 4 октября. "
        "Явка составила около 40%.",
        lang="ru",
        hours=-8,
        countries=("GE",),
        bodies=("election-commission",),
    )
    assert conflict(fingerprint(wire), fingerprint(commission)) is None
    assert same_story(commission, wire)


def test_percentages_more_than_a_point_apart_are_different_figures() -> None:
    midday = item(
        "Georgia: turnout at 12:00 was about 40%",
        "Turnout reached about 40 per cent by noon, the Central Election Commission said.",
        countries=("GE",),
        bodies=("election-commission",),
    )
    evening = item(
        "Georgia: turnout at 17:00 reaches 41.5%",
        "Turnout reached 41.5 per cent by 17:00, the Central Election Commission said.",
        hours=5,
        countries=("GE",),
        bodies=("election-commission",),
    )
    assert conflict(fingerprint(evening), fingerprint(midday)) == "percentages"


@pytest.mark.parametrize(
    ("latin", "cyrillic_or_other"),
    [("Kosjerić", "Косьеричах"), ("Zaječar", "Заечаре"), ("Baghdad", "Bagdad"), ("Warsaw", "Варшава"),
     ("Kharkiv", "Харьков"), ("Thailand", "Таиланд"), ("Karabakh", "Карабах"), ("Petrov", "Петровым")],
)  # fmt: skip
def test_names_spelt_differently_in_other_alphabets_share_a_skeleton(latin: str, cyrillic_or_other: str) -> None:
    assert name_key(latin) in names(f"Observers in {cyrillic_or_other} met")


def test_a_surname_keeps_its_ending() -> None:
    assert names("Наблюдатели встретились с Ивановым") & names("Observers met Ivanov")
    assert name_key("Иванов") == name_key("Ivanov") != name_key("Иван")


def test_preparing_for_the_polls_is_not_a_preliminary_results_system() -> None:
    kinds = default_vocabulary().kinds_in(fold("Election commission steps up prep for Sunday's polls"))
    assert "preliminary_results" not in kinds


def test_abbreviated_french_months_are_dates() -> None:
    found, _ = find_dates(fold("Scrutin le 12 janv. et second tour le 26 juil."), default_vocabulary())
    assert found == {(1, 12), (7, 26)}
