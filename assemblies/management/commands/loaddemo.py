"""``manage.py loaddemo``: load a French demonstration programme, idempotently.

Two demo organisations are written:

- the *Assises de la médiation numérique* in Ajaccio, a three-day conference whose
  first day is today (Europe/Paris), with its opening plenary arranged to start
  right now, so that an organiser can start it live from the console at once;
- the *Ville de Cachan* and its five neighbourhood committees, each with a past
  meeting and three upcoming evening meetings (20:30 to 22:30 local time).

Plus demo accounts (password ``plenary-demo``) holding organiser, moderator and
note-taker roles on all of it, a plain participant and a superuser.

Running the command again updates everything in place (keyed on slugs, usernames,
session titles and agenda positions): nothing is duplicated. A session that is
live keeps its status and its times, so restarting the server during a demo does
not interrupt it; every other session is put back to its demo status and its dates
are re-aligned to today. ``--reset`` deletes the demo organisations' data and the
demo users first, then loads everything afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assemblies.models import AgendaItem, Body, Event, Organisation, Role, Session, Venue

PARIS = ZoneInfo("Europe/Paris")
DEMO_PASSWORD = "plenary-demo"


# --------------------------------------------------------------------------- data


class Item(NamedTuple):
    """One agenda item: title, planned minutes, presenters, description."""

    title: str
    minutes: int
    presenters: str = ""
    description: str = ""


Agenda = tuple[Item, ...]


@dataclass(frozen=True)
class SessionSpec:
    """One session to write, before its dates are known."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    items: Agenda
    description: str = ""
    status: str = Session.Status.SCHEDULED


# ---- Assises de la médiation numérique, Ajaccio

ASSISES_ORG = ("assises-mediation-numerique", "Assises de la médiation numérique")
ASSISES_BODY_SLUG = "assises-mediation-numerique"
ASSISES_CHARTER = (
    "Les Assises de la médiation numérique réunissent chaque année les animateurs "
    "d'espaces publics numériques, les élus, les bibliothécaires, les travailleurs "
    "sociaux et les associations d'éducation populaire qui accompagnent les publics "
    "dans leurs usages du numérique. Elles sont ouvertes à toutes et tous ; chacun "
    "peut y prendre la parole, poser une question ou proposer une contribution. Les "
    "échanges sont publics et leur synthèse est publiée à l'issue des Assises."
)
ASSISES_VENUE = ("Palais des congrès d'Ajaccio", "Quai l'Herminier, 20000 Ajaccio")
ASSISES_EVENT_SLUG = "assises-ajaccio"
ASSISES_EVENT_TITLE = "Assises de la médiation numérique 2011 — Ajaccio"
ASSISES_HASHTAG = "assmednum"
ASSISES_DESCRIPTION = (
    "Trois jours pour faire le point sur la médiation numérique en France : vingt ans "
    "d'espaces publics numériques, l'inclusion des publics qui restent à l'écart, le "
    "métier d'animateur multimédia et les coopérations entre collectivités, "
    "associations et bibliothèques. Chaque matinée s'ouvre par une plénière, les "
    "après-midi sont consacrés aux ateliers. Suivez et commentez les débats avec le "
    "mot-dièse #assmednum."
)

PLENARY_HOURS = (time(9, 30), time(12, 30))
WORKSHOP_HOURS = (time(14, 0), time(16, 0))

ProgrammeDay = tuple[str, Agenda, tuple[tuple[str, Agenda], ...]]

# One entry per day: (plenary title, plenary items, ((workshop title, items), ...)).
ASSISES_PROGRAMME: tuple[ProgrammeDay, ...] = (
    (
        "Plénière d'ouverture — La médiation numérique, une politique publique",
        (
            Item(
                "Ouverture des Assises et mot d'accueil",
                20,
                "Paul-Antoine Casanova, conseiller exécutif de la Collectivité territoriale",
            ),
            Item(
                "Vingt ans d'espaces publics numériques : bilan et perspectives",
                45,
                "Hélène Marchetti, Délégation aux usages de l'Internet",
                "Des premiers points d'accès publics aux réseaux régionaux d'EPN : ce qui "
                "a marché, ce qui reste à construire.",
            ),
            Item(
                "Inclusion numérique : qui reste à la porte ?",
                45,
                "Thomas Lebrun, sociologue ; Nadia Benali, Secours populaire",
                "Âge, revenus, territoire, handicap : portrait des publics éloignés du "
                "numérique et de leurs besoins d'accompagnement.",
            ),
            Item(
                "Table ronde : financer la médiation numérique dans les territoires",
                50,
                "Élus régionaux et départementaux, Caisse des dépôts, réseaux d'EPN",
            ),
            Item("Questions de la salle", 20),
        ),
        (
            (
                "Accompagner les publics éloignés du numérique",
                (
                    Item(
                        "Premiers pas : accueillir un public qui n'a jamais utilisé un ordinateur",
                        40,
                        "Martine Giudicelli, cyberespace de Bastia",
                    ),
                    Item(
                        "Travailler avec les centres sociaux et les missions locales",
                        40,
                        "Karim Ouali, centre social des Salines",
                    ),
                    Item("Retours d'expérience et échanges", 40),
                ),
            ),
            (
                "Réseaux régionaux d'EPN : mutualiser les ressources",
                (
                    Item(
                        "Outils partagés : agenda commun, fiches d'ateliers, prêt de matériel",
                        50,
                        "Julien Ferrandi, coordinateur du réseau corse des cyberespaces",
                    ),
                    Item(
                        "Animer un réseau sans tête de réseau ?",
                        40,
                        "Anne Morvan, réseau Cyber-base",
                    ),
                    Item("Synthèse pour la plénière de clôture", 30),
                ),
            ),
        ),
    ),
    (
        "Plénière — Médiation numérique et territoires",
        (
            Item(
                "Les EPN ruraux : aller vers les habitants",
                40,
                "Laetitia Orsini, EPN itinérant du Cortenais",
                "Bus numériques, permanences en mairie, ateliers dans les villages.",
            ),
            Item(
                "Démarches en ligne et emploi : le rôle des médiateurs",
                40,
                "François Delmas, Pôle emploi ; Sabrina Colonna, mission locale d'Ajaccio",
            ),
            Item(
                "Les bibliothèques, lieux de médiation numérique",
                35,
                "Claire Vasseur, Association des bibliothécaires de France",
            ),
            Item(
                "Retour d'expérience : le réseau corse des cyberespaces",
                35,
                "Julien Ferrandi, coordinateur du réseau",
            ),
            Item("Échanges avec la salle", 30),
        ),
        (
            (
                "Passeport Internet et multimédia : certifier les compétences",
                (
                    Item(
                        "Présentation du passeport et de ses modules",
                        40,
                        "Sophie Renaud, Délégation aux usages de l'Internet",
                    ),
                    Item(
                        "Organiser les sessions de validation dans un EPN",
                        40,
                        "Olivier Santini, EPN de Porto-Vecchio",
                    ),
                    Item("Questions et retours des animateurs", 40),
                ),
            ),
            (
                "Logiciels libres dans les espaces publics numériques",
                (
                    Item(
                        "Équiper un EPN en logiciels libres : retours de terrain",
                        60,
                        "Mathieu Guérin, association Linux Corse",
                    ),
                    Item("Atelier pratique : installer et maintenir un parc", 60),
                ),
            ),
        ),
    ),
    (
        "Plénière de clôture — Vers une stratégie nationale de la médiation numérique",
        (
            Item(
                "Restitution des ateliers",
                40,
                "Rapporteurs des ateliers",
            ),
            Item(
                "Le métier d'animateur multimédia : formation et reconnaissance",
                40,
                "Isabelle Fabre, CNFPT ; Yann Le Goff, collectif des animateurs",
            ),
            Item(
                "Coopérer avec l'éducation populaire",
                35,
                "Marc-Antoine Peretti, Ligue de l'enseignement de Corse",
            ),
            Item(
                "Synthèse et propositions des Assises",
                45,
                "Hélène Marchetti, Délégation aux usages de l'Internet",
                "Les propositions retenues seront transmises aux ministères concernés.",
            ),
            Item("Clôture des Assises", 20, "Paul-Antoine Casanova"),
        ),
        (
            (
                "Rédiger la charte des acteurs de la médiation numérique",
                (
                    Item(
                        "Présentation du projet de charte",
                        30,
                        "Anne Morvan et Julien Ferrandi",
                    ),
                    Item("Amendements et discussion article par article", 60),
                    Item("Adoption du texte soumis aux réseaux", 30),
                ),
            ),
        ),
    ),
)


# ---- Ville de Cachan and its neighbourhood committees

CACHAN_ORG = ("ville-de-cachan", "Ville de Cachan")
CACHAN_WEBSITE = "https://www.ville-cachan.fr/"
COMMITTEE_CHARTER = (
    "Le comité de quartier {name} est une instance de démocratie participative ouverte "
    "à tous les habitants du quartier, qu'ils soient locataires, propriétaires, "
    "commerçants ou membres d'une association. Il se réunit en séance publique "
    "plusieurs fois par an, en présence d'élus référents et des services municipaux. "
    "Il formule des avis et des propositions sur la vie du quartier, propose des "
    "projets au budget participatif et rend compte de ses travaux au conseil municipal. "
    "Chacun peut y prendre la parole ; les comptes-rendus sont publics."
)
MEETING_HOURS = (time(20, 30), time(22, 30))
MEETING_INTERVAL_DAYS = 32  # about four and a half weeks between meetings

# (slug, name, territory, (venue name, venue address), first upcoming meeting in N days,
#  last meeting N days ago, a topic of local interest)
COMMITTEES: tuple[tuple[str, str, str, tuple[str, str], int, int, Item], ...] = (
    (
        "cq-centre-ville",
        "CQ Centre ville",
        "Autour de l'hôtel de ville et du marché : avenue Cousin de Méricourt, rue Camille "
        "Desmoulins, rue Guichard, rue Gallieni, square de la Libération et leurs abords.",
        (
            "Salle du conseil municipal, Hôtel de ville",
            "Square de la Libération, 94230 Cachan",
        ),
        3,
        21,
        Item(
            "Réaménagement de la place du marché : présentation des esquisses",
            30,
            "Service urbanisme",
        ),
    ),
    (
        "cq-coteau",
        "CQ Coteau",
        "Le coteau entre l'avenue Carnot et la rue des Vignes, le parc Raspail, la rue "
        "Raspail, la rue Cousté et les sentes qui descendent vers la vallée de la Bièvre.",
        ("Maison des associations", "3 rue Camille Desmoulins, 94230 Cachan"),
        7,
        23,
        Item(
            "Sécurisation des sentes piétonnes et éclairage public",
            25,
            "Services techniques",
        ),
    ),
    (
        "cq-ouest-nord",
        "CQ Ouest-Nord",
        "Au nord de l'avenue Aristide Briand, de la limite avec Arcueil à la rue Étienne "
        "Dolet, y compris le secteur de la gare RER Arcueil-Cachan.",
        ("École élémentaire de la Gare, salle polyvalente", "41 rue de la Gare, 94230 Cachan"),
        10,
        19,
        Item(
            "Abords de la gare RER : stationnement des vélos et cheminements",
            30,
            "Direction de la voirie",
        ),
    ),
    (
        "cq-ouest-sud",
        "CQ Ouest-Sud",
        "Au sud de l'avenue Aristide Briand jusqu'à la limite avec Bagneux : avenue du "
        "Président Wilson, rue Dumotel, rue Marx Dormoy et le quartier des écoles.",
        ("Gymnase Victor Hugo", "18 avenue du Président Wilson, 94230 Cachan"),
        14,
        22,
        Item(
            "Rues aux écoles : bilan de l'expérimentation de fermeture aux heures d'entrée",
            30,
            "Élue référente et parents d'élèves",
        ),
    ),
    (
        "cq-la-plaine-la-prairie",
        "CQ La Plaine-La Prairie",
        "Les quartiers de La Plaine et de La Prairie, de la rue de la Citadelle aux "
        "berges de la Bièvre, la cité-jardins et les résidences de l'avenue Louis Georgeon.",
        ("Centre socioculturel La Plaine", "5 place Jacques Carat, 94230 Cachan"),
        17,
        20,
        Item(
            "Rénovation de la cité-jardins : calendrier des travaux avec le bailleur",
            35,
            "Cachan Habitat",
        ),
    ),
)

MEETING_OPENING = Item(
    "Approbation du compte-rendu de la réunion précédente", 10, "Secrétariat du comité"
)
MEETING_CLOSING = Item("Questions diverses", 15)
MEETING_TOPICS: Agenda = (
    Item("Point travaux voirie", 20, "Services techniques"),
    Item(
        "Budget participatif : présentation et vote des projets du quartier",
        30,
        "Mission démocratie locale",
    ),
    Item("Propreté et collecte des encombrants", 15, "Service propreté"),
    Item("Tranquillité publique : échange avec la police municipale", 20, "Police municipale"),
    Item("Préparation de la fête de quartier", 20, "Bureau du comité"),
    Item("Stationnement et plan de circulation", 25, "Direction de la voirie"),
    Item("Végétalisation des rues et jardins partagés", 20, "Service des espaces verts"),
    Item("Aire de jeux : choix du nouveau mobilier", 15, "Conseil des enfants"),
)
# The past meeting first, then the three upcoming ones.
MEETING_LABELS = (
    "réunion de rentrée",
    "deuxième réunion de la saison",
    "troisième réunion de la saison",
    "quatrième réunion de la saison",
)
MEETING_DESCRIPTION = (
    "Réunion publique du comité de quartier, ouverte à tous les habitants. Les élus "
    "référents et les services municipaux concernés y participent."
)


# ---- Demo accounts: (username, display name, role on everything, label for the summary)

DEMO_USERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("organisatrice", "Claire Organisatrice", Role.Kind.ORGANISER, "organisatrice"),
    ("moderateur", "Marc Modérateur", Role.Kind.MODERATOR, "modérateur"),
    ("secretaire", "Sophie Secrétaire", Role.Kind.NOTE_TAKER, "secrétaire de séance"),
    ("habitant", "Hugo Habitant", None, "participant, sans rôle"),
)
ADMIN_USER = ("admin", "Administration", "superutilisateur (administration)")
DEMO_USERNAMES = (ADMIN_USER[0], *(row[0] for row in DEMO_USERS))
DEMO_ORG_SLUGS = (ASSISES_ORG[0], CACHAN_ORG[0])
STATUS_LABELS: dict[str, str] = {
    Session.Status.SCHEDULED: "programmée, à lancer depuis la console",
    Session.Status.LIVE: "en direct",
    Session.Status.ENDED: "terminée",
    Session.Status.CANCELLED: "annulée",
}


# --------------------------------------------------------------------------- dates


def at(day: date, moment: time) -> datetime:
    """An aware datetime at local (Europe/Paris) wall-clock ``moment`` on ``day``."""
    return datetime.combine(day, moment, tzinfo=PARIS)


def on_a_weekday(day: date) -> date:
    """``day``, or the Monday after it if it falls on a weekend: committees meet in the week."""
    days_to_monday = 7 - day.weekday() if day.weekday() >= 5 else 0
    return day + timedelta(days=days_to_monday)


def now_ish(now: datetime, today: date) -> datetime:
    """A start time that makes a session "about to start": now, floored to the quarter
    hour, minus a quarter of an hour, but never before today's local midnight."""
    floored = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return max(floored - timedelta(minutes=15), at(today, time(0, 0)))


# --------------------------------------------------------------------------- writers


def upsert_organisation(slug: str, name: str, website: str = "") -> Organisation:
    organisation, _ = Organisation.objects.update_or_create(
        slug=slug, defaults={"name": name, "website": website}
    )
    return organisation


def upsert_body(organisation: Organisation, slug: str, name: str, kind: str, **fields: str) -> Body:
    body, _ = Body.objects.update_or_create(
        slug=slug, defaults={"organisation": organisation, "name": name, "kind": kind, **fields}
    )
    return body


def upsert_venue(organisation: Organisation, name: str, address: str) -> Venue:
    venue, _ = Venue.objects.update_or_create(
        organisation=organisation, name=name, defaults={"address": address}
    )
    return venue


def sync_agenda(session: Session, items: Agenda, *, clear_progress: bool) -> None:
    """Write ``items`` at positions 1..n and drop any position beyond them."""
    for position, item in enumerate(items, start=1):
        defaults: dict[str, Any] = {
            "title": item.title,
            "description": item.description,
            "planned_minutes": item.minutes,
            "presenters": item.presenters,
        }
        if clear_progress:
            defaults["started_at"] = None
        AgendaItem.objects.update_or_create(session=session, position=position, defaults=defaults)
    session.agenda_items.filter(position__gt=len(items)).delete()


def upsert_session(
    spec: SessionSpec, *, body: Body | None, event: Event | None, venue: Venue
) -> Session:
    """Create or update the session named ``spec.title`` in ``body``/``event``.

    A live session keeps its status, times and progress; any other one is reset to
    the demo's status and dates.
    """
    content = {"kind": spec.kind, "description": spec.description, "venue": venue}
    ended = spec.status == Session.Status.ENDED
    schedule = {
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "status": spec.status,
        "current_item": None,
        "started_at": spec.starts_at if ended else None,
        "ended_at": spec.ends_at if ended else None,
    }
    session = Session.objects.filter(body=body, event=event, title=spec.title).first()
    is_live = session is not None and session.status == Session.Status.LIVE
    fields = content if is_live else {**content, **schedule}
    if session is None:
        session = Session.objects.create(body=body, event=event, title=spec.title, **fields)
    else:
        for name, value in fields.items():
            setattr(session, name, value)
        session.save(update_fields=list(fields))
    sync_agenda(session, spec.items, clear_progress=not is_live)
    return session


def grant(user: Any, kind: str, *, body: Body | None = None, event: Event | None = None) -> None:
    Role.objects.get_or_create(user=user, kind=kind, body=body, event=event)


def upsert_user(username: str, display_name: str, *, superuser: bool = False) -> Any:
    user, _ = get_user_model().objects.update_or_create(
        username=username,
        defaults={
            "display_name": display_name,
            "is_staff": superuser,
            "is_superuser": superuser,
            "is_active": True,
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    return user


# --------------------------------------------------------------------------- loaders


def assises_sessions(today: date, now: datetime) -> list[SessionSpec]:
    """The conference programme, day 1 being ``today``; the opening plenary starts now-ish."""
    specs: list[SessionSpec] = []
    for offset, (plenary_title, plenary_items, workshops) in enumerate(ASSISES_PROGRAMME):
        day = today + timedelta(days=offset)
        label = f"Jour {offset + 1}"
        if offset == 0:
            starts_at = now_ish(now, today)
            ends_at = starts_at + timedelta(hours=3)
        else:
            starts_at, ends_at = (at(day, moment) for moment in PLENARY_HOURS)
        specs.append(
            SessionSpec(
                title=f"{label} — {plenary_title}",
                kind=Session.Kind.PLENARY,
                starts_at=starts_at,
                ends_at=ends_at,
                items=plenary_items,
                description="Plénière en grand amphithéâtre, retransmise en direct.",
            )
        )
        for number, (workshop_title, workshop_items) in enumerate(workshops, start=1):
            specs.append(
                SessionSpec(
                    title=f"{label} — Atelier : {workshop_title}",
                    kind=Session.Kind.WORKSHOP,
                    starts_at=at(day, WORKSHOP_HOURS[0]),
                    ends_at=at(day, WORKSHOP_HOURS[1]),
                    items=workshop_items,
                    description=f"Atelier en salle {number}, sur inscription à l'accueil.",
                )
            )
    return specs


def load_assises(today: date, now: datetime) -> tuple[Event, list[Session]]:
    organisation = upsert_organisation(*ASSISES_ORG)
    body = upsert_body(
        organisation,
        ASSISES_BODY_SLUG,
        ASSISES_ORG[1],
        Body.Kind.CONFERENCE,
        charter=ASSISES_CHARTER,
    )
    venue = upsert_venue(organisation, *ASSISES_VENUE)
    event, _ = Event.objects.update_or_create(
        slug=ASSISES_EVENT_SLUG,
        defaults={
            "organisation": organisation,
            "body": body,
            "title": ASSISES_EVENT_TITLE,
            "description": ASSISES_DESCRIPTION,
            "hashtag": ASSISES_HASHTAG,
        },
    )
    sessions = [
        upsert_session(spec, body=body, event=event, venue=venue)
        for spec in assises_sessions(today, now)
    ]
    return event, sessions


def meeting_items(committee_index: int, meeting_index: int, local_topic: Item) -> Agenda:
    """Opening, two rotating topics, the committee's own topic at its next meeting, closing."""
    rotation = committee_index + meeting_index
    topics = [MEETING_TOPICS[(rotation + k) % len(MEETING_TOPICS)] for k in (0, 3)]
    if meeting_index == 1:
        topics.append(local_topic)
    return (MEETING_OPENING, *topics, MEETING_CLOSING)


def committee_sessions(
    index: int, name: str, first_in: int, last_ago: int, local_topic: Item, today: date
) -> list[SessionSpec]:
    """One past meeting, then three upcoming ones every ``MEETING_INTERVAL_DAYS``."""
    offsets = [-last_ago] + [first_in + n * MEETING_INTERVAL_DAYS for n in range(3)]
    specs = []
    for number, (offset, label) in enumerate(zip(offsets, MEETING_LABELS, strict=True)):
        day = on_a_weekday(today + timedelta(days=offset))
        specs.append(
            SessionSpec(
                title=f"{name} — {label}",
                kind=Session.Kind.MEETING,
                starts_at=at(day, MEETING_HOURS[0]),
                ends_at=at(day, MEETING_HOURS[1]),
                items=meeting_items(index, number, local_topic),
                description=MEETING_DESCRIPTION,
                status=Session.Status.ENDED if offset < 0 else Session.Status.SCHEDULED,
            )
        )
    return specs


def load_cachan(today: date) -> tuple[list[Body], list[Session]]:
    organisation = upsert_organisation(*CACHAN_ORG, website=CACHAN_WEBSITE)
    bodies: list[Body] = []
    sessions: list[Session] = []
    for index, (slug, name, territory, venue_row, first_in, last_ago, topic) in enumerate(
        COMMITTEES
    ):
        body = upsert_body(
            organisation,
            slug,
            name,
            Body.Kind.NEIGHBOURHOOD_COMMITTEE,
            charter=COMMITTEE_CHARTER.format(name=name.removeprefix("CQ ")),
            territory=territory,
        )
        venue = upsert_venue(organisation, *venue_row)
        bodies.append(body)
        sessions += [
            upsert_session(spec, body=body, event=None, venue=venue)
            for spec in committee_sessions(index, name, first_in, last_ago, topic, today)
        ]
    return bodies, sessions


def load_users(event: Event, bodies: list[Body]) -> None:
    upsert_user(ADMIN_USER[0], ADMIN_USER[1], superuser=True)
    for username, display_name, kind, _label in DEMO_USERS:
        user = upsert_user(username, display_name)
        if kind is None:
            continue
        grant(user, kind, event=event)
        for body in bodies:
            grant(user, kind, body=body)


def reset_demo() -> None:
    """Delete the demo organisations (with everything that hangs off them) and users."""
    Organisation.objects.filter(slug__in=DEMO_ORG_SLUGS).delete()
    get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


# --------------------------------------------------------------------------- command


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) les données de démonstration : les Assises de la médiation "
        "numérique à Ajaccio et les comités de quartier de Cachan, avec des comptes de démo."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Supprime d'abord les données et comptes de démonstration, puis les recharge.",
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        now = timezone.now()
        today = timezone.localdate(now, timezone=PARIS)
        with transaction.atomic():
            if reset:
                reset_demo()
            event, assises = load_assises(today, now)
            bodies, cachan = load_cachan(today)
            load_users(event, bodies)
        self.print_summary(reset=reset, opening=assises[0], sessions=assises + cachan)

    def print_summary(self, *, reset: bool, opening: Session, sessions: list[Session]) -> None:
        organisations = Organisation.objects.filter(slug__in=DEMO_ORG_SLUGS)
        counts = (
            (organisations.count(), "organisation", "organisations"),
            (Body.objects.filter(organisation__in=organisations).count(), "instance", "instances"),
            (Venue.objects.filter(organisation__in=organisations).count(), "lieu", "lieux"),
            (
                Event.objects.filter(organisation__in=organisations).count(),
                "événement",
                "événements",
            ),
            (len(sessions), "séance", "séances"),
            (
                AgendaItem.objects.filter(session__in=sessions).count(),
                "point d'ordre du jour",
                "points d'ordre du jour",
            ),
            (len(DEMO_USERNAMES), "compte", "comptes"),
            (Role.objects.filter(user__username__in=DEMO_USERNAMES).count(), "rôle", "rôles"),
        )
        write = self.stdout.write
        done = "réinitialisées et rechargées" if reset else "chargées"
        write(self.style.SUCCESS(f"Données de démonstration {done}."))
        summary = ", ".join(f"{n} {one if n < 2 else many}" for n, one, many in counts)
        write(f"  {summary}.")
        starts = timezone.localtime(opening.starts_at, PARIS)
        write(
            f"  Séance d'ouverture ({STATUS_LABELS.get(opening.status, opening.status)}, "
            f"{starts:%d/%m à %H:%M}) : « {opening.title} » — {opening.get_absolute_url()}"
        )
        write("")
        write("Comptes de démonstration :")
        rows = [("Identifiant", "Mot de passe", "Rôle")]
        rows.append((ADMIN_USER[0], DEMO_PASSWORD, ADMIN_USER[2]))
        rows += [(username, DEMO_PASSWORD, label) for username, _, _, label in DEMO_USERS]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        for username, password, role in rows:
            write(f"  {username:<{widths[0]}}  {password:<{widths[1]}}  {role}")
        write(
            "Les rôles valent pour l'événement d'Ajaccio et pour chacun des comités de "
            "quartier de Cachan."
        )
