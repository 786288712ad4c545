"""Every string the desk shows, in Italian (first) and English: one catalogue.

Values of the services' enumerations (sex, protection status, housing need...) are labelled
here too, under ``<enumeration>.<value>``; a test checks that every value has its labels."""

from __future__ import annotations

from collections.abc import Callable

from franoi_desk.labels import LABELS

MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "app.name": ("Lo sportello", "The desk"),
    "app.network": ("Rete Fra Noi", "Fra Noi network"),
    "nav.home": ("I miei casi", "My cases"),
    "nav.search": ("Cerca una persona", "Find a person"),
    "nav.register": ("Registra una persona", "Register a person"),
    "nav.skip": ("Vai al contenuto", "Skip to content"),
    "nav.language": ("Lingua", "Language"),
    "nav.signed_in_as": ("Accesso come", "Signed in as"),
    "nav.sign_out": ("Esci", "Sign out"),
    "role.social_worker": ("operatore sociale", "social worker"),
    "role.partner_admin": ("coordinatore", "coordinator"),
    # sign-in
    "signin.title": ("Accesso", "Sign in"),
    "signin.dev_notice": (
        "Accesso di sviluppo: scegli ente e ruolo. In produzione si accede con il"
        " sistema di identità del proprio ente.",
        "Development sign-in: choose the organisation and the role. In production people"
        " sign in with their organisation's identity provider.",
    ),
    "signin.unavailable": (
        "L'accesso con il sistema di identità dell'ente non è ancora configurato.",
        "Sign-in with the organisation's identity provider is not configured yet.",
    ),
    "signin.with_provider": (
        "Accedi con l'identità del tuo ente",
        "Sign in with your organisation's account",
    ),
    "signin.failed": (
        "L'accesso non è andato a buon fine: riprova.",
        "Signing in did not succeed: please try again.",
    ),
    "signin.not_here": (
        "Il tuo account non appartiene a questo ente o non ha un ruolo dello sportello"
        " (operatore sociale o coordinatore).",
        "Your account does not belong to this organisation or has no desk role"
        " (social worker or coordinator).",
    ),
    "signin.name": ("Il tuo nome", "Your name"),
    "worklist.newest": ("i più recenti", "the newest"),
    "worklist.of": ("di", "of"),
    # household
    "household.title": ("Nucleo familiare", "Household"),
    "household.none": (
        "Nessun familiare registrato con la persona.",
        "No family member recorded with the person.",
    ),
    "household.given_name": ("Nome del familiare", "Family member's given name"),
    "household.relation": ("Relazione", "Relation"),
    "household.birth_year": ("Anno di nascita (facoltativo)", "Year of birth (optional)"),
    "household.born": ("nato/a nel", "born in"),
    "household.add": ("Aggiungi al nucleo", "Add to the household"),
    "household.remove": ("Togli", "Remove"),
    "household.done": ("Nucleo familiare aggiornato.", "Household updated."),
    # drafts
    "draft.restored": ("Bozza ripristinata", "Draft restored"),
    "draft.where": (
        "La bozza resta solo su questo computer finché non la invii o esci.",
        "The draft stays on this computer only, until you send it or sign out.",
    ),
    "draft.discard": ("Scarta la bozza", "Discard the draft"),
    "signin.partner": ("Ente", "Organisation"),
    "signin.role": ("Ruolo", "Role"),
    "signin.submit": ("Entra", "Sign in"),
    # home
    "home.title": ("I miei casi", "My cases"),
    "home.plans": ("Progetti individuali aperti che seguo", "Open individual plans I follow"),
    "home.no_plans": ("Nessun progetto aperto a tuo nome.", "No open plan in your name."),
    "home.all_plans": ("Tutti i progetti aperti dell'ente", "All the organisation's open plans"),
    "home.opened_on": ("aperto il", "opened on"),
    "home.tasks": ("Le mie attività da fare", "My tasks to do"),
    "worklist.title": ("Liste di lavoro", "Working lists"),
    "worklist.showing_mine": (
        "Le persone dei progetti che segui",
        "The persons of the plans you follow",
    ),
    "worklist.showing_all": ("Tutti i casi dell'ente", "All the organisation's cases"),
    "worklist.only_mine": ("solo i miei", "only mine"),
    "worklist.all": ("tutti i casi dell'ente", "all the organisation's cases"),
    "worklist.housing_requests": ("Richieste di alloggio aperte", "Open housing requests"),
    "worklist.placements": ("Persone in un inserimento abitativo", "People in a placement"),
    "worklist.internships": ("Tirocini in corso", "Internships under way"),
    "worklist.visits_due": (
        "Accoglienze in famiglia con una visita da fare (nessuna da 30 giorni)",
        "Hosting stays with a visit due (none for 30 days)",
    ),
    "worklist.person": ("persona", "person"),
    "worklist.empty": ("Niente in questa lista.", "Nothing in this list."),
    "home.no_tasks": ("Nessuna attività aperta a tuo nome.", "No open task in your name."),
    "due.overdue": ("in ritardo", "overdue"),
    "due.due_soon": ("entro 7 giorni", "due within 7 days"),
    "register.consent": (
        "Consenso al trattamento dei dati (raccolto oggi o alla data indicata)",
        "Consent to processing (given today or on the day given)",
    ),
    "duplicate.same_document": ("stesso documento", "same document"),
    "duplicate.similar_name_same_birth_date": (
        "nome simile, stessa data di nascita",
        "similar name, same birth date",
    ),
    "duplicate.similar_name_close_birth_year": (
        "nome simile, anno di nascita vicino",
        "similar name, close birth year",
    ),
    # search
    "search.title": ("Cerca una persona", "Find a person"),
    "search.hint": (
        "Prima di registrare qualcuno, cercalo: nome anche con errori o in un'altra"
        " trascrizione, data di nascita o numero di documento.",
        "Before registering someone, look them up: a name even misspelt or in another"
        " transliteration, a birth date or a document number.",
    ),
    "search.name": ("Nome e/o cognome", "Given and/or family name"),
    "search.born_on": ("Data di nascita", "Birth date"),
    "search.document": ("Codice fiscale o numero di permesso", "Tax code or permit number"),
    "search.submit": ("Cerca", "Search"),
    "search.results": ("Risultati", "Results"),
    "search.none": ("Nessuna persona trovata.", "Nobody found."),
    "search.need_criteria": (
        "Scrivi almeno un nome, una data di nascita o un documento.",
        "Give at least a name, a birth date or a document.",
    ),
    "search.register_new": (
        "Non c'è? Registra una nuova persona",
        "Not there? Register someone new",
    ),
    # person
    "person.given_names": ("Nome", "Given names"),
    "person.family_name": ("Cognome", "Family name"),
    "person.born_on": ("Data di nascita", "Birth date"),
    "person.sex": ("Sesso", "Sex"),
    "person.citizenship": ("Cittadinanza (codice ISO, es. NG)", "Citizenship (ISO code, e.g. NG)"),
    "person.protection_status": ("Protezione", "Protection status"),
    "person.tax_code": ("Codice fiscale", "Tax code"),
    "person.residence_permit_number": (
        "Numero del permesso di soggiorno",
        "Residence permit number",
    ),
    "person.registered_on": ("Registrata il", "Registered on"),
    "person.age_band": ("Fascia d'età", "Age band"),
    "person.plans": ("Progetti individuali", "Individual plans"),
    "person.no_plans": ("Nessun progetto individuale.", "No individual plan."),
    "person.services": ("Nei servizi dell'ente", "In the organisation's services"),
    "person.nothing_there": ("nessun dato", "nothing recorded"),
    "person.unavailable": ("non raggiungibile", "not reachable"),
    "person.actions": ("Registra per questa persona", "Record for this person"),
    "person.print": ("Stampa la scheda", "Print the summary"),
    # what the services' records say of themselves (answers, not forms)
    "field.status": ("Stato", "Status"),
    "field.outcome_recorded_on": ("Esito registrato il", "Outcome recorded on"),
    "field.last_visit_on": ("Ultima visita", "Last visit"),
    "tag.hosting.visits": ("Visite di monitoraggio", "Monitoring visits"),
    "status.open": ("aperta", "open"),
    "status.closed": ("chiusa", "closed"),
    "status.satisfied": ("soddisfatta", "satisfied"),
    "status.unsatisfied": ("non soddisfatta", "unsatisfied"),
    "status.withdrawn": ("ritirata", "withdrawn"),
    "status.active": ("in corso", "under way"),
    "status.ended": ("conclusa", "ended"),
    "status.interrupted": ("interrotta", "interrupted"),
    "status.completed": ("completata", "completed"),
    "status.proposed": ("proposto", "proposed"),
    "status.accepted": ("accettato", "accepted"),
    "status.declined": ("rifiutato", "declined"),
    "status.cancelled": ("annullato", "cancelled"),
    "status.started": ("avviato", "started"),
    "status.scheduled": ("programmato", "scheduled"),
    "status.held": ("svolto", "held"),
    "status.done": ("fatto", "done"),
    "plan.status.open": ("aperto", "open"),
    "plan.status.closed": ("chiuso", "closed"),
    # register
    "register.title": ("Registra una persona", "Register a person"),
    "register.submit": ("Registra", "Register"),
    "register.duplicates": (
        "Possibili doppioni: questa persona potrebbe essere già registrata.",
        "Possible duplicates: this person may be registered already.",
    ),
    "register.open_existing": ("Apri la scheda", "Open the record"),
    "register.anyway_reason": (
        "È una persona diversa? Spiega perché, poi registra comunque",
        "A different person? Say why, then register anyway",
    ),
    "register.anyway": ("Registra comunque", "Register anyway"),
    "register.done": ("Persona registrata.", "Person registered."),
    # every operation
    "nav.record": ("Registra un'attività", "Record an activity"),
    "record.title": ("Registra un'attività", "Record an activity"),
    "record.for_person": (
        "Le attività che riguardano questa persona: i suoi dati vengono dalla sua scheda.",
        "The activities about this person: their details come from their record.",
    ),
    "record.submit": ("Registra", "Record"),
    "record.from_register": (
        "Pseudonimo, sesso, fascia d'età alla data dell'attività e protezione vengono dalla"
        " scheda della persona.",
        "The pseudonym, sex, age band on the activity's day and protection status come from"
        " the person's record.",
    ),
    "record.done": ("Registrato.", "Recorded."),
    "record.follow_up": ("Poi", "Next"),
    # the coordinator
    "coordinator.title": ("Per il coordinatore", "For the coordinator"),
    "coordinator.access_log": ("Registro degli accessi", "Access log"),
    "coordinator.when": ("Quando", "When"),
    "coordinator.who": ("Chi", "Who"),
    "coordinator.what": ("Operazione", "Operation"),
    "coordinator.back": ("Torna alla scheda", "Back to the record"),
    "coordinator.export": (
        "Esporta i dati della persona (GDPR art. 15)",
        "Export the person's data (GDPR art. 15)",
    ),
    "coordinator.erase": ("Cancella la persona (GDPR art. 17)", "Erase the person (GDPR art. 17)"),
    "coordinator.erase_warning": (
        "La cancellazione elimina la scheda, i progetti e le attività della persona; gli altri"
        " servizi dell'ente e la rete staccano i loro dati dalla persona (i conteggi restano)."
        " Non si può annullare.",
        "Erasure deletes the person's record, plans and tasks; the organisation's other"
        " services and the network detach their records from the person (counts stay)."
        " It cannot be undone.",
    ),
    "coordinator.erase_confirm": (
        "Per confermare, scrivi il cognome della persona",
        "To confirm, type the person's family name",
    ),
    "coordinator.erase_wrong": ("Il cognome non corrisponde.", "The family name does not match."),
    "coordinator.erased": ("Persona cancellata.", "Person erased."),
    "access.register": ("registrazione", "registered"),
    "access.read": ("lettura della scheda", "record read"),
    "access.search_hit": ("comparsa in una ricerca", "shown in a search"),
    "access.update": ("modifica", "changed"),
    "access.merge": ("unione di schede", "records merged"),
    "access.read_file": ("lettura del fascicolo", "file read"),
    "access.open_plan": ("apertura del progetto", "plan opened"),
    "access.read_plan": ("lettura del progetto", "plan read"),
    "access.review_plan": ("verifica del progetto", "plan reviewed"),
    "access.close_plan": ("chiusura del progetto", "plan closed"),
    "access.export_access_log": ("esportazione dei dati", "data exported"),
    "access.erase": ("cancellazione", "erased"),
    "access.record_consent": ("registrazione del consenso", "consent recorded"),
    "access.add_task": ("nuova attività", "task added"),
    "access.complete_task": ("attività fatta", "task done"),
    "access.cancel_task": ("attività annullata", "task cancelled"),
    # errors
    "error.title": ("Qualcosa non va", "Something is wrong"),
    "error.fix_fields": ("Correggi i campi segnalati.", "Correct the fields marked."),
    "error.not_found": ("Non trovato.", "Not found."),
    "error.forbidden": ("Non consentito.", "Not allowed."),
    "error.forbidden_here": (
        "Il tuo ruolo non consente questa operazione: chiedi al coordinatore dell'ente.",
        "Your role does not allow this: ask your organisation's coordinator.",
    ),
    "error.unavailable": (
        "Il servizio non risponde in questo momento: riprova tra poco. Quanto scritto è"
        " ancora nel modulo.",
        "The service does not answer at the moment: try again shortly. What you typed is"
        " still in the form.",
    ),
    "problem.possible_duplicate": (
        "Nel registro c'è già chi potrebbe essere questa persona: guarda i possibili doppioni"
        " qui sotto, oppure scrivi perché è una persona diversa e registra comunque.",
        "The register may hold this person already: look at the possible duplicates below,"
        " or say why this is someone else and register anyway.",
    ),
    "problem.person_already_registered": (
        "Una persona con questo documento è già registrata: cercala.",
        "A person with this document is registered already: look them up.",
    ),
    "problem.person_not_identified": (
        "La scheda della persona non ha ancora un codice fiscale o un numero di permesso:"
        " aggiungilo alla scheda, poi registra l'attività (il percorso della persona nella"
        " rete si conta da lì).",
        "The person's record has no tax code or permit number yet: add one to the record,"
        " then record the activity (the person's path in the network is counted from it).",
    ),
    "problem.capacity_exceeded": (
        "L'alloggio non ha abbastanza posti liberi.",
        "The unit does not have enough free beds.",
    ),
    "error.back_home": ("Torna ai miei casi", "Back to my cases"),
    "form.required": ("obbligatorio", "required"),
    "form.yes": ("sì", "yes"),
    "form.no": ("no", "no"),
    # what a service found wrong with a field (its problem's errors[].type)
    "input.missing": ("Campo obbligatorio.", "This field is required."),
    "input.string_too_short": ("Troppo corto.", "Too short."),
    "input.string_too_long": ("Troppo lungo.", "Too long."),
    "input.string_pattern_mismatch": ("Formato non valido.", "Not in the expected format."),
    "input.greater_than_equal": ("Valore troppo basso.", "Too low."),
    "input.greater_than": ("Valore troppo basso.", "Too low."),
    "input.less_than_equal": ("Valore troppo alto.", "Too high."),
    "input.less_than": ("Valore troppo alto.", "Too high."),
    "input.int_parsing": ("Serve un numero intero.", "A whole number is needed."),
    "input.int_from_float": ("Serve un numero intero.", "A whole number is needed."),
    "input.float_parsing": ("Serve un numero.", "A number is needed."),
    "input.date_parsing": ("Data non valida.", "Not a valid date."),
    "input.date_from_datetime_parsing": ("Data non valida.", "Not a valid date."),
    "input.uuid_parsing": ("Scegli dall'elenco.", "Choose from the list."),
    "input.enum": ("Scegli uno dei valori proposti.", "Choose one of the values offered."),
    "input.extra_forbidden": ("Campo non previsto.", "Unexpected field."),
    "input.value_error": ("Valore non valido.", "Not a valid value."),
    "input.too_short": ("Scegline almeno uno.", "Choose at least one."),
    "input.too_long": ("Troppi valori.", "Too many values."),
    "form.choose": ("— scegli —", "— choose —"),
    # enumerations
    "sex.female": ("donna", "female"),
    "sex.male": ("uomo", "male"),
    "sex.other": ("altro", "other"),
    "sex.undisclosed": ("non dichiarato", "undisclosed"),
    "protection_status.refugee": ("rifugiato/a", "refugee"),
    "protection_status.subsidiary_protection": ("protezione sussidiaria", "subsidiary protection"),
    "protection_status.special_protection": ("protezione speciale", "special protection"),
    "protection_status.trafficking_victim_permit": (
        "permesso per vittime di tratta",
        "trafficking victim permit",
    ),
    "protection_status.other": ("altro", "other"),
    "housing_need.exit_from_reception": ("uscita dall'accoglienza", "leaving reception"),
    "housing_need.eviction_risk": ("rischio di sfratto", "risk of eviction"),
    "housing_need.overcrowding": ("sovraffollamento", "overcrowding"),
    "housing_need.homeless": ("senza dimora", "homeless"),
    "housing_need.other": ("altro", "other"),
    "plan_axis.housing": ("casa", "housing"),
    "plan_axis.work": ("lavoro", "work"),
    "plan_axis.family": ("famiglia", "family"),
    "plan_axis.language": ("lingua", "language"),
    "plan_axis.documents": ("documenti", "documents"),
    "plan_axis.health": ("salute", "health"),
    "domain.cases": ("registro", "register"),
    "domain.housing": ("casa", "housing"),
    "domain.employment": ("lavoro", "employment"),
    "domain.hosting": ("accoglienza in famiglia", "family hosting"),
    "domain.events": ("comunità", "community"),
}


CATALOGUE: dict[str, tuple[str, str]] = {**MESSAGES, **LABELS}
"""The pages' strings and the labels of the services' operations, fields and values."""


def _value_labels() -> dict[str, tuple[str, str]]:
    """The label of a coded value wherever every enumeration holding it labels it alike
    (``exit_from_reception``), for records whose answers do not name their enumeration."""
    found: dict[str, set[tuple[str, str]]] = {}
    for key, labels in CATALOGUE.items():
        if key.startswith(("enum.", "status.")):
            found.setdefault(key.rsplit(".", 1)[1], set()).add(labels)
    return {value: next(iter(labels)) for value, labels in found.items() if len(labels) == 1}


VALUES = _value_labels()


def value_label(value: object, lang: str) -> str:
    """A record's coded value in ``lang`` where the catalogue knows it, else as it is."""
    labels = VALUES.get(str(value))
    return labels[1 if lang == "en" else 0] if labels else str(value)


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` in ``lang``; an unknown key shows itself (and a test fails on it)."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        labels = CATALOGUE.get(key)
        return labels[index] if labels else key

    return t
