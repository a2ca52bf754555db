"""Poll benchmark (run on demand: ``uv run python bench/bench_poll.py``).

Serves N feeds x M items (default 500 x 50, deterministic synthetic news in en/ru/fr/es, RSS 2.0
and Atom) from an aiohttp server on 127.0.0.1 in a separate process, and runs the real pipeline
(``build_runtime`` + ``poll_feeds``: fetch, parse, normalise, tag, exact dedupe, store) against a
fresh SQLite database in a temporary directory. Three scenarios, one run:

1. full poll, every feed new: items/s and wall time, against bare single-threaded
   ``feedparser.parse(io.BytesIO(body))`` over the same bytes (ratio pipeline / bare);
2. second poll with ETag: every feed answers 304;
3. third poll with the server sending no ETag/Last-Modified and the same bytes (the pipeline
   must notice the unchanged body hash).

Also reports peak RSS (``ru_maxrss`` of this process; the server runs in its own process) and a
per-stage breakdown taken by wrapping the pipeline's functions with timers here, in the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import functools
import hashlib
import html
import io
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser

P = ParamSpec("P")
T = TypeVar("T")

TARGET_RATIO = 1.5
TARGET_REPOLL_S = 3.0
TARGET_RSS_MB = 300.0

# --------------------------------------------------------------------------- synthetic feeds

_LANG_WEIGHTS = (("en", 4), ("ru", 3), ("fr", 2), ("es", 2))


def _pairs(text: str) -> list[tuple[str, str]]:
    """``"Name=in Name|..."`` → [(name for titles, "in <country>" phrase), ...]."""
    return [(name, phrase) for name, phrase in (pair.split("=") for pair in text.split("|"))]


_COUNTRIES: dict[str, list[tuple[str, str]]] = {
    "en": [
        (name, f"in {name}")
        for name in (
            "Armenia|Georgia|Moldova|Kazakhstan|Ukraine|Serbia|North Macedonia|Kyrgyzstan|Azerbaijan|Albania|"
            "Montenegro|Bosnia and Herzegovina|Uzbekistan|Mongolia|Poland|Romania|Tajikistan|Belarus"
        ).split("|")
    ],
    "ru": _pairs(
        "Армения=в Армении|Грузия=в Грузии|Молдова=в Молдове|Казахстан=в Казахстане|Киргизия=в Киргизии|"
        "Узбекистан=в Узбекистане|Азербайджан=в Азербайджане|Россия=в России|Сербия=в Сербии|"
        "Монголия=в Монголии|Таджикистан=в Таджикистане|Беларусь=в Беларуси|Украина=на Украине|"
        "Туркменистан=в Туркменистане"
    ),
    "fr": _pairs(
        "Arménie=en Arménie|Géorgie=en Géorgie|Moldavie=en Moldavie|Kazakhstan=au Kazakhstan|Serbie=en Serbie|"
        "Sénégal=au Sénégal|Côte d'Ivoire=en Côte d'Ivoire|Tunisie=en Tunisie|France=en France|Mali=au Mali|"
        "Albanie=en Albanie|Macédoine du Nord=en Macédoine du Nord"
    ),
    "es": _pairs(
        "Perú=en Perú|Bolivia=en Bolivia|México=en México|Colombia=en Colombia|Venezuela=en Venezuela|"
        "España=en España|Ecuador=en Ecuador|Armenia=en Armenia|Georgia=en Georgia|Moldavia=en Moldavia|"
        "Kazajistán=en Kazajistán|Serbia=en Serbia"
    ),
}

_BODIES: dict[str, list[str]] = {
    "en": (
        "the OSCE Office for Democratic Institutions and Human Rights (ODIHR)|OSCE/ODIHR|"
        "the Central Election Commission|the CEC|the Venice Commission|the OSCE Parliamentary Assembly|PACE|"
        "the ODIHR election observation mission"
    ).split("|"),
    "ru": (
        "БДИПЧ ОБСЕ|ОБСЕ/БДИПЧ|Центральная избирательная комиссия|ЦИК|Венецианская комиссия|ПА ОБСЕ|миссия БДИПЧ"
    ).split("|"),
    "fr": (
        "l'OSCE/BIDDH|le Bureau des institutions démocratiques et des droits de l'homme (BIDDH) de l'OSCE|"
        "la Commission électorale centrale|la CEC|la Commission de Venise|la CENI"
    ).split("|"),
    "es": (
        "la OSCE/OIDDH|la Oficina de Instituciones Democráticas y Derechos Humanos (OIDDH) de la OSCE|"
        "la Comisión Electoral Central|el Consejo Nacional Electoral|la Comisión de Venecia|"
        "la misión de observación electoral de la OSCE"
    ).split("|"),
}

_KINDS: dict[str, list[str]] = {
    "en": "parliamentary|presidential|local|snap parliamentary|municipal".split("|"),
    "ru": "парламентских|президентских|местных|досрочных парламентских|муниципальных".split("|"),
    "fr": "législatives|présidentielles|municipales|législatives anticipées|régionales".split("|"),
    "es": "legislativas|presidenciales|municipales|generales anticipadas|regionales".split("|"),
}

_ELECTION_SENTENCES: dict[str, list[str]] = {
    "en": [
        "{body} deployed an election observation mission {cin} ahead of the {kind} elections.",
        "Observers from {body} said the vote {cin} was competitive but marred by misuse of administrative resources.",
        "{body} published its preliminary findings on the {kind} elections {cin} on {day}.",
        "Turnout in the {kind} elections {cin} reached {pct} percent, according to {body}.",
        "{body} registered {n} candidates and {m} parties for the {kind} vote {cin}.",
        "Long-term observers will follow the campaign, the media environment and the handling of election complaints.",
        "Polling stations {cin} closed at 8 pm and the count began immediately.",
        "Opposition parties {cin} alleged vote buying and pressure on public sector employees.",
        "The head of {body} called on all candidates to respect the results of the ballot.",
        "International observers noted that voter lists still contained deceased citizens.",
        "The election law was amended in {month}, less than a year before the vote, which {body} criticised.",
        "A recount was ordered in {n} precincts after complaints about ballot stuffing.",
    ],
    "ru": [
        "{body} направила миссию по наблюдению за выборами {cin} накануне {kind} выборов.",
        "Наблюдатели {body} заявили, что голосование {cin} было конкурентным, но сопровождалось "
        "использованием административного ресурса.",
        "{body} опубликовала предварительные выводы о {kind} выборах {cin} в {day}.",
        "Явка на {kind} выборах {cin} составила {pct} процента, сообщила {body}.",
        "{body} зарегистрировала {n} кандидатов и {m} партий.",
        "Долгосрочные наблюдатели будут следить за ходом кампании и рассмотрением жалоб.",
        "Избирательные участки {cin} закрылись в 20:00, начался подсчёт голосов.",
        "Оппозиция {cin} заявила о подкупе избирателей и вбросах бюллетеней.",
        "Глава {body} призвал кандидатов признать итоги голосования.",
        "Международные наблюдатели отметили нарушения в списках избирателей.",
        "Избирательный кодекс изменили в {month}, менее чем за год до выборов.",
        "Пересчёт голосов назначен на {n} участках после жалоб на вбросы.",
    ],
    "fr": [
        "{body} a déployé une mission d'observation électorale {cin} avant les élections {kind}.",
        "Les observateurs de {body} ont estimé que le scrutin {cin} était pluraliste mais entaché "
        "d'abus de ressources administratives.",
        "{body} a publié ses conclusions préliminaires sur les élections {kind} {cin} {day}.",
        "Le taux de participation aux élections {kind} {cin} a atteint {pct} %, selon {body}.",
        "{body} a enregistré {n} candidats et {m} partis pour le scrutin.",
        "Les observateurs de long terme suivront la campagne, les médias et le traitement des recours.",
        "Les bureaux de vote {cin} ont fermé à 20 heures et le dépouillement a commencé aussitôt.",
        "L'opposition {cin} dénonce l'achat de voix et des pressions sur les fonctionnaires.",
        "Le président de {body} a appelé les candidats à respecter les résultats du scrutin.",
        "Les observateurs internationaux ont relevé des irrégularités sur les listes électorales.",
        "La loi électorale a été modifiée en {month}, moins d'un an avant le vote.",
        "Un recomptage a été ordonné dans {n} bureaux de vote après des plaintes pour bourrage d'urnes.",
    ],
    "es": [
        "{body} desplegó una misión de observación electoral {cin} antes de las elecciones {kind}.",
        "Los observadores de {body} afirmaron que la votación {cin} fue competitiva pero marcada por "
        "el uso indebido de recursos administrativos.",
        "{body} publicó sus conclusiones preliminares sobre las elecciones {kind} {cin} el {day}.",
        "La participación en las elecciones {kind} {cin} alcanzó el {pct} %, según {body}.",
        "{body} inscribió a {n} candidatos y {m} partidos para los comicios.",
        "Los observadores de largo plazo seguirán la campaña, los medios y la tramitación de quejas.",
        "Los colegios electorales {cin} cerraron a las 20:00 y comenzó el escrutinio.",
        "La oposición {cin} denunció compra de votos y presiones sobre los funcionarios públicos.",
        "El presidente de {body} pidió a los candidatos respetar los resultados.",
        "Los observadores internacionales señalaron irregularidades en el padrón electoral.",
        "La ley electoral se modificó en {month}, menos de un año antes de la votación.",
        "Se ordenó un recuento en {n} mesas tras denuncias de relleno de urnas.",
    ],
}

_OTHER_SENTENCES: dict[str, list[str]] = {
    "en": [
        "The central bank kept its key rate at {pct} percent on {day}.",
        "Heavy rain caused flooding in several regions {cin}.",
        "The national football team won {n}-{m} in a friendly match.",
        "Fuel prices rose for the third consecutive week.",
        "The ministry of health announced a new vaccination campaign for {month}.",
        "Tourism revenue {cin} grew by {pct} percent year on year.",
        "A new metro line is due to open in the capital in {month}.",
        "Wheat exports fell after a dry spring, the agriculture ministry said.",
    ],
    "ru": [
        "Центральный банк сохранил ключевую ставку на уровне {pct} процента.",
        "Сильные дожди вызвали наводнения в нескольких регионах {cin}.",
        "Сборная по футболу выиграла товарищеский матч со счётом {n}:{m}.",
        "Цены на топливо растут третью неделю подряд.",
        "Министерство здравоохранения объявило новую кампанию вакцинации в {month}.",
        "Доходы от туризма {cin} выросли на {pct} процента за год.",
        "Новая линия метро откроется в столице в {month}.",
        "Экспорт пшеницы снизился после засушливой весны.",
    ],
    "fr": [
        "La banque centrale a maintenu son taux directeur à {pct} % {day}.",
        "De fortes pluies ont provoqué des inondations dans plusieurs régions {cin}.",
        "L'équipe nationale a remporté le match amical {n} à {m}.",
        "Le prix du carburant a augmenté pour la troisième semaine consécutive.",
        "Le ministère de la santé a annoncé une nouvelle campagne de vaccination en {month}.",
        "Les recettes touristiques {cin} ont progressé de {pct} % sur un an.",
        "Une nouvelle ligne de métro doit ouvrir dans la capitale en {month}.",
        "Les exportations de blé ont reculé après un printemps sec.",
    ],
    "es": [
        "El banco central mantuvo su tasa de interés en el {pct} % el {day}.",
        "Fuertes lluvias provocaron inundaciones en varias regiones {cin}.",
        "La selección nacional ganó {n} a {m} en un partido amistoso.",
        "El precio del combustible subió por tercera semana consecutiva.",
        "El ministerio de salud anunció una nueva campaña de vacunación para {month}.",
        "Los ingresos por turismo {cin} crecieron un {pct} % interanual.",
        "Una nueva línea de metro abrirá en la capital en {month}.",
        "Las exportaciones de trigo cayeron tras una primavera seca.",
    ],
}

_ELECTION_TITLES: dict[str, list[str]] = {
    "en": [
        "{country}: observers report {adj} {kind} vote",
        "{country} heads to the polls in {kind} elections",
        "OSCE/ODIHR opens observation mission in {country}",
        "CEC of {country} announces preliminary results",
    ],
    "ru": [
        "{country}: наблюдатели ОБСЕ оценили выборы",
        "{country} проводит {kind} выборы",
        "БДИПЧ ОБСЕ открыло миссию наблюдения: {country}",
        "ЦИК объявил предварительные итоги выборов — {country}",
    ],
    "fr": [
        "{country} : les observateurs jugent le scrutin {adj}",
        "{country} : élections {kind} sous observation",
        "L'OSCE/BIDDH ouvre une mission d'observation électorale — {country}",
        "{country} : la commission électorale annonce les résultats provisoires",
    ],
    "es": [
        "{country}: los observadores califican la votación de {adj}",
        "{country} celebra elecciones {kind}",
        "La OSCE/OIDDH abre una misión de observación — {country}",
        "{country}: la autoridad electoral anuncia resultados preliminares",
    ],
}

_OTHER_TITLES: dict[str, list[str]] = {
    "en": ["{country}: central bank holds rates", "Floods hit {country}", "{country} wins friendly"],
    "ru": ["{country}: ЦБ сохранил ставку", "Наводнения: {country}", "{country}: рост цен на топливо"],
    "fr": [
        "{country} : la banque centrale maintient ses taux",
        "Inondations : {country}",
        "{country} : le prix du carburant grimpe",
    ],
    "es": [
        "{country}: el banco central mantiene tasas",
        "Inundaciones: {country}",
        "{country}: sube el combustible",
    ],
}

_ADJ = {
    "en": ["competitive", "orderly", "tense", "flawed"],
    "ru": ["спокойные", "конкурентные"],
    "fr": ["pluraliste", "ordonné", "tendu"],
    "es": ["competitiva", "ordenada", "tensa"],
}
_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Sunday"],
    "ru": ["понедельник", "вторник", "среду", "четверг", "пятницу", "воскресенье"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "dimanche"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "domingo"],
}
_MONTHS = {
    "en": ["January", "March", "May", "September", "November"],
    "ru": ["январе", "марте", "мае", "сентябре", "ноябре"],
    "fr": ["janvier", "mars", "mai", "septembre", "novembre"],
    "es": ["enero", "marzo", "mayo", "septiembre", "noviembre"],
}
_AUTHORS = ["A. Petrosyan", "M. Dubois", "L. García", "Н. Иванова", "J. Smith", "K. Beridze"]
_BASE_TIME = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class FeedFile:
    """One generated feed on disk."""

    name: str
    path: Path
    lang: str
    fmt: str
    size: int


def _fill(rng: random.Random, template: str, lang: str, country: tuple[str, str]) -> str:
    return template.format(
        body=rng.choice(_BODIES[lang]),
        cin=country[1],
        country=country[0],
        kind=rng.choice(_KINDS[lang]),
        day=rng.choice(_DAYS[lang]),
        month=rng.choice(_MONTHS[lang]),
        adj=rng.choice(_ADJ[lang]),
        pct=rng.randint(18, 89),
        n=rng.randint(2, 40),
        m=rng.randint(0, 12),
    )


def _item_text(rng: random.Random, lang: str, election: bool) -> tuple[str, str]:
    """A title and ~1,300 characters of description HTML (1-3 paragraphs)."""
    country = rng.choice(_COUNTRIES[lang])
    title = _fill(rng, rng.choice((_ELECTION_TITLES if election else _OTHER_TITLES)[lang]), lang, country)
    pool = _ELECTION_SENTENCES[lang] if election else _OTHER_SENTENCES[lang]
    mixed = pool + (_OTHER_SENTENCES[lang] if election else _ELECTION_SENTENCES[lang][:2])
    target = rng.randint(1_150, 1_450)
    paragraphs: list[list[str]] = [[] for _ in range(rng.randint(1, 3))]
    length = 0
    index = 0
    while length < target:
        # Mostly on-topic sentences, some from the other pool; other countries appear in passing.
        source = pool if rng.random() < 0.8 else mixed
        sentence = _fill(rng, rng.choice(source), lang, country if rng.random() < 0.8 else rng.choice(_COUNTRIES[lang]))
        sentence = sentence[:1].upper() + sentence[1:]
        paragraphs[index % len(paragraphs)].append(html.escape(sentence, quote=False))
        length += len(sentence) + 1
        index += 1
    parts = []
    for number, sentences in enumerate(paragraphs):
        text = " ".join(sentences)
        if number == 0 and rng.random() < 0.5:
            text = f"<strong>{text[:40]}</strong>{text[40:]}"
        if rng.random() < 0.3:
            text += f' <a href="https://osce.example/odihr/{rng.randint(1, 99_999)}">OSCE</a>'
        parts.append(f"<p>{text}</p>")
    return title, "\n".join(parts)


@dataclasses.dataclass(frozen=True)
class Workload:
    """What the generated news day looks like: how many items are about elections, how far apart a feed's items are."""

    election_share: float = 0.6
    item_gap_minutes: int = 17


def _render_feed(
    rng: random.Random, number: int, items: int, lang: str, fmt: str, declare_lang: bool, workload: Workload
) -> bytes:
    host = f"news{number:04d}.example"
    site = f"{host.split('.')[0].capitalize()} {lang.upper()} News"
    entries: list[str] = []
    for j in range(items):
        election = rng.random() < workload.election_share
        title, body = _item_text(rng, lang, election)
        when = _BASE_TIME - timedelta(minutes=workload.item_gap_minutes * j + rng.randint(0, 16))
        slug = f"{when:%Y/%m}/story-{number}-{j}-{rng.randint(0, 10**6)}"
        link = f"https://{host}/{slug}"
        author = rng.choice(_AUTHORS)
        if fmt == "rss":
            entries.append(
                "<item>"
                f"<title>{html.escape(title, quote=False)}</title>"
                f"<link>{link}?utm_source=rss</link>"
                f'<guid isPermaLink="false">{host}-{j}</guid>'
                f"<pubDate>{format_datetime(when)}</pubDate>"
                f"<dc:creator>{html.escape(author)}</dc:creator>"
                f"<category>{'Elections' if election else 'News'}</category>"
                f"<description>{html.escape(body, quote=False)}</description>"
                "</item>"
            )
        else:
            entries.append(
                "<entry>"
                f"<title>{html.escape(title, quote=False)}</title>"
                f'<link rel="alternate" href="{link}"/>'
                f"<id>tag:{host},2026:{j}</id>"
                f"<published>{when.isoformat()}</published><updated>{when.isoformat()}</updated>"
                f"<author><name>{html.escape(author)}</name></author>"
                f'<summary type="html">{html.escape(body, quote=False)}</summary>'
                "</entry>"
            )
    joined = "\n".join(entries)
    if fmt == "rss":
        language = f"<language>{lang}</language>" if declare_lang else ""
        document = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{site}</title><link>https://{host}/</link><description>{site}</description>"
            f"{language}<lastBuildDate>{format_datetime(_BASE_TIME)}</lastBuildDate>\n{joined}\n</channel></rss>\n"
        )
    else:
        xml_lang = f' xml:lang="{lang}"' if declare_lang else ""
        document = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom"{xml_lang}><title>{site}</title>'
            f'<id>https://{host}/</id><link rel="alternate" href="https://{host}/"/>'
            f"<updated>{_BASE_TIME.isoformat()}</updated>\n{joined}\n</feed>\n"
        )
    return document.encode("utf-8")


def generate_feeds(
    directory: Path, feeds: int, items: int, seed: int, workload: Workload = Workload()
) -> list[FeedFile]:
    """Write ``feeds`` deterministic feeds to ``directory`` (one at a time: nothing kept in memory)."""
    rng = random.Random(seed)
    langs = [lang for lang, weight in _LANG_WEIGHTS for _ in range(weight)]
    out: list[FeedFile] = []
    for number in range(feeds):
        lang = rng.choice(langs)
        fmt = "atom" if rng.random() < 0.25 else "rss"
        declare_lang = rng.random() < 0.8  # the rest make the pipeline detect the language
        body = _render_feed(rng, number, items, lang, fmt, declare_lang, workload)
        name = f"feed{number:04d}.xml"
        path = directory / name
        path.write_bytes(body)
        out.append(FeedFile(name, path, lang, fmt, len(body)))
    return out


# --------------------------------------------------------------------------- feed server process


def _serve(directory: str, conn: Connection) -> None:
    """The feed server: every file of ``directory`` in memory, served by aiohttp on 127.0.0.1."""
    from aiohttp import web

    bodies = {path.name: path.read_bytes() for path in sorted(Path(directory).glob("*.xml"))}
    etags = {name: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for name, body in bodies.items()}
    last_modified = format_datetime(_BASE_TIME, usegmt=True)
    state: dict[str, Any] = {"validators": True, "hits": {}}

    def count(status: int) -> None:
        state["hits"][status] = state["hits"].get(status, 0) + 1

    async def feed(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = bodies.get(name)
        if body is None:
            count(404)
            return web.Response(status=404, text="not found")
        if not state["validators"]:
            count(200)
            return web.Response(body=body, content_type="application/rss+xml")
        tag = etags[name]
        if request.headers.get("If-None-Match") == tag:
            count(304)
            return web.Response(status=304, headers={"ETag": tag})
        count(200)
        return web.Response(
            body=body,
            content_type="application/rss+xml",
            headers={"ETag": tag, "Last-Modified": last_modified},
        )

    async def mode(request: web.Request) -> web.Response:
        state["validators"] = request.match_info["mode"] == "validators"
        state["hits"] = {}
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({str(k): v for k, v in state["hits"].items()})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feeds/{name}", feed)
        app.router.add_get("/_mode/{mode}", mode)
        app.router.add_get("/_stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        conn.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


class ServerProcess:
    """The feed server in its own process, so its CPU time is not charged to the pipeline's thread."""

    def __init__(self, directory: Path) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(str(directory), child), daemon=True)
        self.process.start()
        if not parent.poll(60):
            raise RuntimeError("the feed server did not start")
        self.port: int = parent.recv()
        self.base = f"http://127.0.0.1:{self.port}"
        self.pid: int = self.process.pid or 0

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return bytes(response.read())

    def set_validators(self, on: bool) -> None:
        """Send ETag/Last-Modified and honour If-None-Match (True), or send neither (False)."""
        self._get("/_mode/validators" if on else "/_mode/plain")

    def hits(self) -> dict[str, int]:
        """Answers by status since the last mode switch."""
        return dict(json.loads(self._get("/_stats")))

    def stop(self) -> None:
        """Stop the server process (only the one this object started)."""
        self.process.terminate()
        self.process.join(10)


# --------------------------------------------------------------------------- stage timers


class StageTimes:
    """Per-stage call counts, summed wall time and summed CPU time of the calling thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def reset(self) -> None:
        """Forget everything measured so far."""
        with self._lock:
            self.calls.clear()
            self.wall.clear()
            self.cpu.clear()

    def _add(self, name: str, wall: float, cpu: float | None) -> None:
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            self.wall[name] = self.wall.get(name, 0.0) + wall
            if cpu is not None:
                self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def wrap(self, name: str, fn: Callable[P, T]) -> Callable[P, T]:
        """Time a synchronous function (CPU time is the calling thread's)."""

        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self._add(name, time.perf_counter() - wall, time.thread_time() - cpu)

        return timed

    def wrap_async(self, name: str, fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """Time a coroutine function (wall time only: it interleaves with others on the loop)."""

        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            wall = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self._add(name, time.perf_counter() - wall, None)

        return timed


def instrument(stages: StageTimes) -> None:
    """Wrap the pipeline's steps, as looked up by bot.pipeline.poll, with timers (bench process only)."""
    poll_module.fetch = stages.wrap_async("fetch", poll_module.fetch)  # type: ignore[assignment]
    poll_module.store_items = stages.wrap("store_items", poll_module.store_items)


class _TrivialTagger:
    """Stands in when bot/pipeline/tag is absent: no tags, no work."""

    knowledge: Any = None

    def tag(self, title: str, text: str, lang: str | None) -> Tags:
        return Tags()


# --------------------------------------------------------------------------- bare parsing


def _bare_parse(paths: list[str], **options: Any) -> tuple[int, float, float]:
    """Parse each file with feedparser alone; return (entries, wall s, CPU s) spent inside feedparser."""
    entries = 0
    wall = cpu = 0.0
    for path in paths:
        body = Path(path).read_bytes()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = feedparser.parse(io.BytesIO(body), **options)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        entries += len(result.entries)
    return entries, wall, cpu


def bare_two_processes(paths: list[str]) -> tuple[int, float]:
    """Bare parsing spread over two processes (what using both cores could reach); wall seconds."""
    halves = [paths[0::2], paths[1::2]]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(_bare_parse, [[p] for p in paths[:2]]))  # start both workers first
        start = time.perf_counter()
        results = list(pool.map(_bare_parse, halves))
        wall = time.perf_counter() - start
    return sum(entries for entries, _, _ in results), wall


# --------------------------------------------------------------------------- the run


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass
class PollResult:
    """One timed poll."""

    wall: float
    cpu: float
    loop_cpu: float
    reports: list[PollReport]

    @property
    def new_items(self) -> int:
        return sum(r.new_items for r in self.reports)

    @property
    def not_modified(self) -> int:
        return sum(r.not_modified for r in self.reports)

    @property
    def errors(self) -> list[str]:
        return [f"{r.feed}: {r.error}" for r in self.reports if r.error]


async def timed_poll(poll: Callable[[], Awaitable[list[PollReport]]]) -> PollResult:
    """Run one poll, measuring wall time, process CPU time and the event-loop thread's CPU time."""
    wall, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    reports = await poll()
    return PollResult(time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - loop_cpu, reports)


def _check(label: str, ok: bool, detail: str) -> None:
    if not ok:
        print(f"  !! {label}: {detail}")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


@dataclasses.dataclass
class PollRun:
    """What the three polls measured."""

    tagger_note: str
    full: PollResult
    etag: PollResult
    plain: PollResult
    stages: tuple[dict[str, int], dict[str, float], dict[str, float]]
    hits: tuple[dict[str, int], dict[str, int], dict[str, int]]
    stored: int
    server_cpu: float
    workers_cpu: float
    rss_langid: float
    rss_ready: float
    rss_after_full: float
    rss_after_polls: float
    load_before: float


def build(args: argparse.Namespace, workdir: Path, server: ServerProcess, files: list[FeedFile]) -> tuple[Any, ...]:
    """Load the tagger, build the runtime on a fresh database and add the feeds."""
    settings = Settings(db=workdir / "bench.db", fetch_concurrency=args.concurrency, prepare_workers=args.workers)
    if not prepare_workers(settings):
        # Items are prepared in this process: load the language model before timing, as workers do.
        LangidDetector()("warm up the language model before timing")
    rss_langid = rss_mb()
    start = time.perf_counter()
    tagger: TaggerLike | None
    has_tagger = (Path(__file__).resolve().parent.parent / "bot" / "pipeline" / "tag").is_dir()
    if has_tagger and not args.no_tagger and args.workers != 1:
        tagger = None
        tagger_note = "real tagger, loaded in each of {workers} worker processes"
    elif has_tagger and not args.no_tagger:
        tagger = load_tagger()
        tagger_note = f"real tagger (bot.pipeline.tag), loaded in {time.perf_counter() - start:.1f} s"
    else:
        tagger = _TrivialTagger()
        tagger_note = "TRIVIAL tagger (no bot/pipeline/tag or --no-tagger): tagging cost NOT included"
    runtime = build_runtime(settings, tagger=tagger)
    tagger_note = tagger_note.format(workers=getattr(runtime.deps.prepare, "workers", 1))
    now = runtime.clock.now()
    for file in files:
        runtime.store.feeds.add(
            FeedConfig(url=f"{server.base}/feeds/{file.name}", interval_seconds=600), now, source="config"
        )
    return runtime, tagger_note, rss_langid


async def warm_up(runtime: Any, server: ServerProcess, files: list[FeedFile]) -> None:
    """Start the worker processes (each loads the tagger) before anything is timed."""
    feed = runtime.store.feeds.all()[0]
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(f"{server.base}/feeds/{files[0].name}").read())
    now = runtime.clock.now()
    workers = getattr(runtime.deps.prepare, "workers", 1)
    await asyncio.gather(*(runtime.deps.prepare(body, {}, feed, now) for _ in range(max(1, workers) * 2)))


def _worker_pids(runtime: Any) -> list[int]:
    pool = getattr(runtime.deps.prepare, "_pool", None)
    return list(getattr(pool, "_processes", {}) or {})


def workers_cpu_s(runtime: Any) -> float:
    """Summed CPU seconds of the preparing worker processes so far (0 without them)."""
    return sum(process_cpu(pid) for pid in _worker_pids(runtime))


def workers_peak_mb(runtime: Any) -> float:
    """Summed peak RSS of the preparing worker processes (0 without them)."""
    total = 0.0
    for pid in _worker_pids(runtime):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


async def run_polls(args: argparse.Namespace, workdir: Path, server: ServerProcess, files: list[FeedFile]) -> PollRun:
    """Run the three polls against a fresh database."""
    runtime, tagger_note, rss_langid = build(args, workdir, server, files)
    stages = StageTimes()
    instrument(stages)
    await warm_up(runtime, server, files)
    deps = dataclasses.replace(runtime.deps, prepare=stages.wrap_async("prepare", runtime.deps.prepare))
    rss_ready = rss_mb()
    load_before = os.getloadavg()[0]

    async def poll_all(strip_validators: bool = False) -> list[PollReport]:
        feeds = runtime.enabled_feeds()
        if strip_validators:
            feeds = [dataclasses.replace(f, etag=None, last_modified=None) for f in feeds]
        return await poll_module.poll_feeds(feeds, deps, args.concurrency)

    try:
        server.set_validators(True)
        server_cpu = process_cpu(server.pid)
        workers_cpu = workers_cpu_s(runtime)
        full = await timed_poll(poll_all)
        server_cpu = process_cpu(server.pid) - server_cpu
        workers_cpu = workers_cpu_s(runtime) - workers_cpu
        full_stages = (dict(stages.calls), dict(stages.wall), dict(stages.cpu))
        full_hits = server.hits()
        rss_after_full = rss_mb()
        stored = runtime.store.items.count()

        server.set_validators(True)
        etag = await timed_poll(poll_all)
        etag_hits = server.hits()

        server.set_validators(False)
        plain = await timed_poll(lambda: poll_all(strip_validators=True))
        plain_hits = server.hits()
        rss_after_polls = rss_mb() + workers_peak_mb(runtime)
    finally:
        await runtime.aclose()
    return PollRun(
        tagger_note=tagger_note,
        full=full,
        etag=etag,
        plain=plain,
        stages=full_stages,
        hits=(full_hits, etag_hits, plain_hits),
        stored=stored,
        server_cpu=server_cpu,
        workers_cpu=workers_cpu,
        rss_langid=rss_langid,
        rss_ready=rss_ready,
        rss_after_full=rss_after_full,
        rss_after_polls=rss_after_polls,
        load_before=load_before,
    )


def report(args: argparse.Namespace, workdir: Path, files: list[FeedFile], run: PollRun) -> None:
    """Time bare parsing over the same bytes and print every measure."""
    full, etag, plain = run.full, run.etag, run.plain
    full_hits, etag_hits, plain_hits = run.hits
    db_bytes = sum(p.stat().st_size for p in workdir.glob("bench.db*"))
    paths = [str(f.path) for f in files]
    bare_entries, bare, bare_cpu = _bare_parse(paths)
    _, bare_pipeline_options, _ = (
        _bare_parse(paths, sanitize_html=False, resolve_relative_uris=False) if args.bare_options else (0, 0.0, 0.0)
    )
    load_after = os.getloadavg()[0]
    two_entries, two_wall = bare_two_processes(paths) if args.two_cores else (0, 0.0)

    total_bytes = sum(f.size for f in files)
    expected = len(files) * args.items
    formats = {fmt: sum(f.fmt == fmt for f in files) for fmt in ("rss", "atom")}
    langs = {lang: sum(f.lang == lang for f in files) for lang, _ in _LANG_WEIGHTS}
    ratio = full.wall / bare if bare else float("inf")
    ratio_cpu = full.cpu / bare_cpu if bare_cpu else float("inf")

    print()
    print(f"Poll benchmark: {len(files)} feeds x {args.items} items over 127.0.0.1 (aiohttp server process)")
    print(
        f"  {total_bytes / 1e6:.1f} MB of feeds ({total_bytes / len(files) / 1024:.0f} KiB/feed; "
        f"{formats['rss']} RSS, {formats['atom']} Atom; "
        + ", ".join(f"{lang} {count}" for lang, count in langs.items())
        + f"), seed {args.seed}"
    )
    span_hours = args.item_gap * (args.items - 1) / 60
    print(
        f"  {args.election_share:.0%} of items about elections; each feed's items {args.item_gap} min apart "
        f"(a feed spans {span_hours:.0f} h)"
    )
    print(
        f"  fetch_concurrency={args.concurrency}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {run.load_before:.1f} before the polls, {load_after:.1f} after the bare parse"
    )
    print(f"  {run.tagger_note}")
    print()
    _check("items stored", full.new_items == expected == run.stored, f"{full.new_items=} {run.stored=}")
    _check("errors in full poll", not full.errors, "; ".join(full.errors[:5]))
    _check("bare entries", bare_entries == expected, f"{bare_entries=} expected {expected}")
    _check("full poll answers", full_hits.get("200") == len(files), f"{full_hits=}")
    _check("304 poll", etag.not_modified == len(files) == etag_hits.get("304"), f"{etag_hits=}")
    _check("no-ETag poll", plain.not_modified == len(files) == plain_hits.get("200"), f"{plain_hits=}")

    rows: list[tuple[str, str, str]] = [
        ("1. full poll: wall time", f"{full.wall:.2f} s", ""),
        ("   items/s (pipeline)", f"{full.new_items / full.wall:,.0f}", f"{full.new_items:,} items stored"),
        (
            "   process CPU / event-loop thread CPU",
            f"{full.cpu:.2f} s / {full.loop_cpu:.2f} s",
            f"{full.cpu / full.wall:.2f} cores busy on average",
        ),
        (
            "   worker processes CPU",
            f"{run.workers_cpu:.2f} s",
            f"parse + normalise + tag + fingerprint; total with this process {full.cpu + run.workers_cpu:.2f} s",
        ),
        ("   feed server process CPU meanwhile", f"{run.server_cpu:.2f} s", "same machine, not in the above"),
        (
            "   bare feedparser.parse, 1 thread",
            f"{bare:.2f} s",
            f"{bare_entries / bare:,.0f} items/s; CPU {bare_cpu:.2f} s",
        ),
    ]
    if args.bare_options:
        rows.append(
            (
                "   bare, pipeline's options (no sanitize/resolve)",
                f"{bare_pipeline_options:.2f} s",
                f"{expected / bare_pipeline_options:,.0f} items/s",
            )
        )
    if args.two_cores:
        rows.append(
            ("   bare feedparser.parse, 2 processes", f"{two_wall:.2f} s", f"{two_entries / two_wall:,.0f} items/s")
        )
    rss_ok = run.rss_after_polls < TARGET_RSS_MB
    rows += [
        (
            "   ratio pipeline / bare (wall)",
            f"{ratio:.2f}x",
            f"target <= {TARGET_RATIO}x: {_verdict(ratio <= TARGET_RATIO)}",
        ),
        ("   ratio pipeline / bare (CPU)", f"{ratio_cpu:.2f}x", "less sensitive to other load on the machine"),
        (
            "2. re-poll, every feed 304: wall time",
            f"{etag.wall:.2f} s",
            f"target < {TARGET_REPOLL_S:g} s: {_verdict(etag.wall < TARGET_REPOLL_S)}; CPU {etag.cpu:.2f} s",
        ),
        (
            "3. re-poll, no ETag, same bytes: wall",
            f"{plain.wall:.2f} s",
            f"target < {TARGET_REPOLL_S:g} s: {_verdict(plain.wall < TARGET_REPOLL_S)}; CPU {plain.cpu:.2f} s",
        ),
        (
            "peak RSS (this process + worker processes)",
            f"{run.rss_after_polls:.0f} MB",
            f"target < {TARGET_RSS_MB:g} MB: {_verdict(rss_ok)}",
        ),
        ("   peak after imports", f"{run.rss_langid:.0f} MB", "+ langid model when preparing in this process"),
        ("   peak after tagger + runtime", f"{run.rss_ready:.0f} MB", "before polling"),
        ("   peak after the full poll", f"{run.rss_after_full:.0f} MB", ""),
        ("database after full poll", f"{db_bytes / 1e6:.1f} MB", "bench.db + WAL"),
    ]
    _print_table(("measure", "value", "notes"), rows)

    calls, walls, cpus = run.stages
    print()
    print("Per-stage breakdown of the full poll (timers wrapped around bot.pipeline.poll's steps in this")
    print("process; CPU = the calling thread's CPU time, wall = summed per call and overlapping):")
    stage_rows = []
    for name in ("fetch", "prepare", "store_items"):
        if name not in calls:
            continue
        cpu = f"{cpus[name]:.2f} s" if name in cpus else "-"
        share = f"{cpus[name] / full.cpu:.0%} of process CPU" if name in cpus else "wall includes queueing"
        stage_rows.append((f"{name} ({calls[name]:,} calls)", cpu, f"{walls[name]:.2f} s", share))
    stage_rows.append(
        (
            "event loop thread (fetch, httpx, sha256, asyncio)",
            f"{full.loop_cpu:.2f} s",
            "-",
            f"{full.loop_cpu / full.cpu:.0%} of process CPU",
        )
    )
    _print_table(("stage", "CPU", "wall (sum)", "share"), stage_rows)


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(line)


def main() -> None:
    """Parse arguments, generate feeds, start the server, run the benchmark and clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=Settings.model_fields["fetch_concurrency"].default)
    parser.add_argument("--seed", type=int, default=20260427)
    parser.add_argument(
        "--election-share",
        type=float,
        default=Workload.election_share,
        help="share of items about elections (the rest is other news)",
    )
    parser.add_argument(
        "--item-gap",
        type=int,
        default=Workload.item_gap_minutes,
        help="minutes between a feed's items: at the default every feed covers the same 14 hours",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="preparing processes as in production (0: the default; 1: a thread)"
    )
    parser.add_argument("--no-tagger", action="store_true", help="use a trivial tagger (isolates tagging cost)")
    parser.add_argument(
        "--two-cores", action="store_true", help="also time bare parsing spread over 2 processes (reference)"
    )
    parser.add_argument(
        "--bare-options", action="store_true", help="also time bare parsing with the pipeline's feedparser options"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        workdir = Path(tmp)
        feeds_dir = workdir / "feeds"
        feeds_dir.mkdir()
        start = time.perf_counter()
        workload = Workload(election_share=args.election_share, item_gap_minutes=args.item_gap)
        files = generate_feeds(feeds_dir, args.feeds, args.items, args.seed, workload)
        print(f"generated {len(files)} feeds in {time.perf_counter() - start:.1f} s; starting the feed server")
        server = ServerProcess(feeds_dir)
        try:
            run = asyncio.run(run_polls(args, workdir, server, files))
            report(args, workdir, files, run)
        finally:
            server.stop()


if __name__ == "__main__":
    # The bot is imported here, not at the top: "spawn" runs this file again in every worker process
    # (as __mp_main__), and the bot's own workers, started from its light console script, do not
    # carry the CLI, the network and the chat modules either.
    import bot.pipeline.poll as poll_module
    from bot.app import TaggerLike, build_runtime, load_tagger, prepare_workers
    from bot.models import FeedConfig, PollReport, Tags
    from bot.pipeline.normalise import LangidDetector
    from bot.settings import Settings

    main()
