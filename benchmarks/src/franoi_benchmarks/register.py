"""The cases register's persons, as a partner's register holds them: generated and loaded.

Names from seven nationalities with their usual spellings (Mohamed, Mohammed, Maxamed,
Mohamud; Diallo, Jallow, Jalloh; Yousef, Youssef, Yusuf, Youcef...) and, for one person in five,
a rare name of two to four syllables (so the partner's name vocabulary has tens of thousands of
words rather than a few hundred); birth dates over 57 years; a tax code for two in three, sealed
and blind-indexed with the service's own cipher, and the pseudonym it gives; a phone for half.
:func:`load` copies them straight into the ``persons`` table and the partner's name vocabulary,
as the service computes them. The search and the desk benchmarks use them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.domain import names
from franoi_cases.domain.model import search_key
from franoi_common.pseudonym import person_ref

SYLLABLES = tuple(
    "ka mo ra tu si be la do ne gu fa hi zo ye wa ri ko ma te nu bo sa di ge ha lu ba me".split()
)
"""Rare names are made of these (one person in five has one): a realistic vocabulary."""

GROUPS: dict[str, dict[str, list[list[str]]]] = {
    "NG": {
        "female": [["Ngozi"], ["Ifeoma"], ["Chiamaka"], ["Blessing"], ["Precious"], ["Joy"],
                   ["Favour"], ["Aisha", "Aishat", "Aishatu"], ["Amina", "Aminat"],
                   ["Funmilayo"], ["Adaeze"], ["Chinwe"], ["Folake"], ["Esther"], ["Mercy"]],
        "male": [["Chidi"], ["Chukwuemeka", "Chukwuemeke"], ["Emeka"],
                 ["Oluwaseun", "Oluwasegun"], ["Adebayo"], ["Godwin"],
                 ["Abdullahi", "Abdulahi"], ["Musa"], ["Ibrahim"], ["Yusuf", "Yusuff"],
                 ["Samuel"], ["Daniel"], ["Kingsley"], ["Tunde"], ["Uche"]],
        "family": [["Okonkwo"], ["Okafor"], ["Adeyemi"], ["Eze"], ["Obi"], ["Nwosu"],
                   ["Balogun"], ["Ogunleye"], ["Bello"], ["Abubakar"], ["Umar"], ["Okoro"],
                   ["Chukwu"], ["Afolabi"], ["Nwachukwu"], ["Olawale"], ["Ibekwe"],
                   ["Adewale"]],
    },
    "ML": {
        "female": [["Fatoumata", "Fatumata", "Fatimata"], ["Aminata"], ["Mariam", "Mariama"],
                   ["Kadiatou", "Kadidia", "Kadiatu"], ["Awa"],
                   ["Aissatou", "Aïssatou", "Aisatu"], ["Oumou", "Umu"], ["Binta"],
                   ["Hawa"], ["Assitan"], ["Djeneba", "Jeneba"], ["Ramatou", "Ramatu"],
                   ["Salimata"]],
        "male": [["Mamadou", "Mamadu", "Mamady"], ["Moussa", "Musa"], ["Ousmane", "Usman"],
                 ["Ibrahima", "Ibrahim"], ["Sekou", "Seku", "Sékou"],
                 ["Amadou", "Ahmadou", "Amadu"], ["Aboubacar", "Abubakar", "Boubacar"],
                 ["Bakary", "Bakari"], ["Lamine"], ["Modou", "Modu"],
                 ["Alassane", "Alasane"], ["Souleymane", "Suleiman", "Soulemane"],
                 ["Adama"], ["Seydou", "Seidou"], ["Drissa"], ["Lassana"]],
        "family": [["Diallo", "Jallow", "Jalloh"], ["Traoré", "Traore"], ["Keita", "Keïta"],
                   ["Koné", "Kone"], ["Camara", "Kamara"], ["Coulibaly", "Kulibali"],
                   ["Touré", "Toure"], ["Bah", "Ba"], ["Sow"], ["Diop"],
                   ["Ndiaye", "N'Diaye"], ["Sylla", "Silla"], ["Cissé", "Cisse", "Sissé"],
                   ["Sanogo"], ["Konaté", "Konate"], ["Fofana"], ["Barry", "Bari"],
                   ["Ceesay", "Sise"], ["Sidibé", "Sidibe"], ["Dembélé", "Dembele"],
                   ["Doumbia", "Dumbia"], ["Sangaré", "Sangare"], ["Kouyaté", "Kuyate"]],
    },
    "ER": {
        "female": [["Senait", "Senayt"], ["Helen"], ["Saba"], ["Rahel", "Rachel"],
                   ["Tsega", "Tsegga"], ["Merhawit"], ["Haben"], ["Luwam"], ["Yordanos"],
                   ["Selam"], ["Feven", "Fiven"], ["Winta"], ["Eden"], ["Mihret", "Mehret"]],
        "male": [["Tesfaye", "Tesfay"], ["Yonas", "Yohannes"], ["Dawit"], ["Semere"],
                 ["Mehari"], ["Filmon", "Philmon"], ["Biniam", "Biniyam"], ["Habtom"],
                 ["Kidane"], ["Berhane", "Berhe"], ["Ghebremedhin", "Gebremedhin"],
                 ["Robel"], ["Natnael"], ["Samson"], ["Amanuel", "Emanuel"], ["Yemane"]],
        "family": [["Tekle", "Teklay"], ["Gebre", "Ghebre"], ["Haile", "Hayle"], ["Woldu"],
                   ["Mebrahtu"], ["Abraha"], ["Kahsay"], ["Tewelde"],
                   ["Gebremariam", "Ghebremariam"], ["Negassi", "Negasi"], ["Tesfamariam"],
                   ["Ghebreyesus", "Gebreyesus"], ["Habte"], ["Asmerom"], ["Zerai", "Zeray"],
                   ["Andemariam"], ["Okbazghi"], ["Mehreteab"]],
    },
    "SO": {
        "female": [["Fadumo", "Fatuma", "Faadumo"], ["Hodan"], ["Amina", "Aamina"],
                   ["Sahra", "Sahro"], ["Halima", "Xaliimo", "Halimo"], ["Asha", "Aasha"],
                   ["Hawa", "Xawo"], ["Nasra"], ["Ifrah"], ["Fartun"], ["Ayan"],
                   ["Deeqa", "Deka"], ["Khadra", "Khadro"]],
        "male": [["Mohamed", "Mohammed", "Maxamed", "Mohamud"],
                 ["Abdirahman", "Abdulrahman", "Abdurahman"], ["Ahmed", "Axmed"],
                 ["Hassan", "Xasan"], ["Abdi"], ["Ali", "Cali"], ["Omar", "Cumar"],
                 ["Yusuf", "Yuusuf"], ["Ismail", "Ismaaciil"], ["Abdullahi", "Cabdullaahi"],
                 ["Hussein", "Xuseen", "Hussen"], ["Farah"], ["Abdikarim", "Abdulkarim"],
                 ["Mahad"], ["Liban"]],
        "family": [["Mohamed", "Mohammed", "Maxamed"], ["Abdi"], ["Hassan", "Xasan"],
                   ["Ahmed", "Axmed"], ["Ali", "Cali"], ["Farah"], ["Osman", "Cismaan"],
                   ["Warsame"], ["Hersi", "Xirsi"], ["Jama", "Jaamac"], ["Nur", "Nuur"],
                   ["Aden", "Aadan"], ["Ibrahim"], ["Yusuf"], ["Mohamud", "Maxamuud"],
                   ["Abdullahi"], ["Egal"], ["Guled"], ["Dahir", "Daahir"]],
    },
    "AF": {
        "female": [["Zainab", "Zeinab", "Zaynab"], ["Fatima", "Fatemeh", "Fatma"],
                   ["Maryam", "Mariam"], ["Sakina", "Sakineh"], ["Nargis", "Narges"],
                   ["Shabnam"], ["Farzana"], ["Parwana", "Parvaneh"],
                   ["Masouma", "Masoumeh"], ["Zahra", "Zohra"], ["Roya"], ["Soraya"],
                   ["Laila", "Leila", "Layla"]],
        "male": [["Mohammad", "Muhammad", "Mohammed", "Mohamad"], ["Ahmad", "Ahmed"],
                 ["Ali"], ["Hamid"], ["Mahmoud", "Mahmud"], ["Rahim"], ["Karim"], ["Farid"],
                 ["Jawad"], ["Hussain", "Hossein", "Husain"], ["Reza", "Raza"],
                 ["Mustafa", "Mostafa"], ["Sayed", "Sayyed", "Said"], ["Ghulam", "Gholam"],
                 ["Najib", "Najeeb"], ["Abdul"], ["Habib"], ["Zabihullah", "Zabiullah"]],
        "family": [["Ahmadi"], ["Rahimi"], ["Hussaini", "Hosseini", "Husaini"],
                   ["Mohammadi", "Muhammadi"], ["Karimi"], ["Hakimi"], ["Sultani"],
                   ["Noori", "Nuri"], ["Amiri"], ["Haidari", "Heydari"], ["Khan"], ["Shah"],
                   ["Akbari"], ["Jafari", "Jaafari"], ["Qasimi", "Kasimi"], ["Sadat"],
                   ["Rezaei", "Rezai"], ["Nazari"], ["Azizi"], ["Popal"], ["Wardak"]],
    },
    "BD": {
        "female": [["Nasrin", "Nasreen"], ["Sultana"], ["Rina"], ["Shirin", "Sherin"],
                   ["Taslima"], ["Ayesha", "Aisha"], ["Rumana"], ["Farhana"], ["Nusrat"]],
        "male": [["Mohammad", "Mohammed", "Muhammad", "Md"], ["Abdul"], ["Shahidul"],
                 ["Rafiqul", "Rafikul"], ["Aminul"], ["Jahangir"], ["Kamal"], ["Jamal"],
                 ["Monir", "Monirul"], ["Sohel", "Sohail"], ["Rubel"], ["Habibur"],
                 ["Mizanur"], ["Saiful"], ["Masud", "Masood"]],
        "family": [["Rahman", "Rahaman"], ["Hossain", "Hussain", "Hosen"], ["Islam"],
                   ["Uddin"], ["Akter", "Akhter", "Akhtar"], ["Begum"],
                   ["Khatun", "Khatoon"], ["Alam"], ["Miah", "Mia"],
                   ["Chowdhury", "Choudhury"], ["Sarkar", "Sarker"], ["Ahmed"],
                   ["Sheikh", "Shaikh"], ["Talukder"], ["Mollah", "Molla"]],
    },
    "SY": {
        "female": [["Fatima", "Fatma"], ["Aya"], ["Rania"], ["Noor", "Nour", "Nur"],
                   ["Amal"], ["Salma"], ["Hana", "Hanaa"], ["Rasha"], ["Yasmin", "Yasmine"],
                   ["Lina"], ["Rim", "Reem"], ["Huda", "Hoda"], ["Samira"], ["Souad", "Suad"]],
        "male": [["Ahmad", "Ahmed"], ["Mohamed", "Mohammed", "Mohammad"],
                 ["Mahmoud", "Mahmud"], ["Khaled", "Khalid"], ["Omar", "Umar"],
                 ["Yousef", "Youssef", "Yusuf", "Youcef"], ["Ibrahim", "Ebrahim"], ["Hamza"],
                 ["Bilal"], ["Adam"], ["Abdallah", "Abdullah", "Abdalla"],
                 ["Osman", "Othman", "Uthman"], ["Mustafa", "Moustafa", "Mostafa"],
                 ["Tarek", "Tariq", "Tarik"], ["Walid", "Waleed"], ["Karim", "Kareem"]],
        "family": [["Al-Ahmad", "Alahmad"], ["Haddad"], ["Hussein", "Husain", "Hussain"],
                   ["Ibrahim"], ["Osman", "Othman"],
                   ["Abdelrahman", "Abdel Rahman", "Abdulrahman"], ["Salih", "Saleh"],
                   ["Mustafa", "Moustafa"], ["Yassin", "Yasin"], ["Hamdan"], ["Khalil"],
                   ["Mansour", "Mansur"], ["Nasser", "Nasir"], ["Ben Ali"], ["Trabelsi"],
                   ["Jaziri"], ["Mahjoub"], ["Gharbi"], ["Al-Khatib", "Alkhatib"],
                   ["Darwish", "Derwish"], ["Suleiman", "Sulaiman", "Soliman"]],
    },
}  # fmt: skip
LANGUAGES = {"NG": ["en"], "ML": ["fr"], "ER": ["ti"], "SO": ["so"], "AF": ["fa"],
             "BD": ["bn"], "SY": ["ar"]}  # fmt: skip
STATUSES = ("refugee", "subsidiary_protection", "special_protection", "other")


@dataclass
class Generated:
    """One generated person: their row, and the name entries it was made from."""

    row: tuple[Any, ...]
    given: list[list[str]]
    family: list[str]
    given_names: str
    family_name: str
    born_on: dt.date
    document: str | None


def rare_name(rnd: random.Random) -> list[str]:
    """A name hardly anyone else has (two to four syllables), with no variant."""
    return ["".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))).title()]


def spelling(rnd: random.Random, entry: list[str]) -> str:
    """A name's usual spelling six times in ten, one of its variants otherwise."""
    return entry[0] if len(entry) == 1 or rnd.random() < 0.6 else rnd.choice(entry[1:])


def generate(
    rnd: random.Random, partner: str, count: int, cipher: FieldCipher, pseudonym_key: bytes
) -> list[Generated]:
    today = dt.date.today()
    people = []
    for n in range(count):
        country = rnd.choice(list(GROUPS))
        group = GROUPS[country]
        sex = rnd.choice(("female", "male"))
        given = [rare_name(rnd) if rnd.random() < 0.08 else rnd.choice(group[sex])]
        if rnd.random() < 0.25:
            given.append(rnd.choice(group[sex]))
        family = rare_name(rnd) if rnd.random() < 0.12 else rnd.choice(group["family"])
        given_names = " ".join(spelling(rnd, entry) for entry in given)
        family_name = spelling(rnd, family)
        born_on = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(57 * 365))
        pid = uuid.uuid4()
        document = f"BEN{partner.upper()}{n:08d}X" if rnd.random() < 0.67 else None
        tax_enc = tax_index = ref = None
        if document is not None:
            tax_enc = cipher.seal(document, partner, pid, "tax_code")
            tax_index = cipher.blind_index(partner, document)
            ref = person_ref(document, pseudonym_key)
        phone = cipher.seal(f"+39 3{rnd.randrange(10**8):08d}", partner, pid, "phone")
        full = f"{given_names} {family_name}"
        row = (
            pid, partner, given_names, family_name, search_key(full), names.name_words(full),
            born_on, sex, country, LANGUAGES[country], rnd.choice(STATUSES), tax_enc, tax_index,
            phone if rnd.random() < 0.5 else None, ref,
            today - dt.timedelta(days=rnd.randrange(2000)),
        )  # fmt: skip
        people.append(Generated(row, given, family, given_names, family_name, born_on, document))
    return people


COLUMNS = [
    "person_id", "partner_id", "given_names", "family_name", "search_name", "name_words",
    "born_on", "sex", "citizenship", "languages", "protection_status", "tax_code_enc",
    "tax_code_index", "phone_enc", "person_ref", "registered_on",
]  # fmt: skip


async def load(conn: asyncpg.Connection, people: Sequence[Generated]) -> int:
    """COPY the persons and their partners' name vocabulary; how many words it holds."""
    await conn.copy_records_to_table("persons", records=[p.row for p in people], columns=COLUMNS)
    vocabulary = {(p.row[1], w) for p in people for w in p.row[5]}
    await conn.copy_records_to_table(
        "name_vocabulary",
        records=[(partner, w, names.skeleton(w)) for partner, w in sorted(vocabulary)],
        columns=["partner_id", "word", "skeleton"],
    )
    return len(vocabulary)


def typo(rnd: random.Random, word: str) -> str:
    """The word with one letter replaced, dropped, added or swapped with its neighbour."""
    while True:
        i = rnd.randrange(1, len(word) - 1)
        letter = rnd.choice("abcdefghijklmnopqrstuvwxyz")
        edit = rnd.choice(("replace", "drop", "add", "swap"))
        changed = {
            "replace": word[:i] + letter + word[i + 1 :],
            "drop": word[:i] + word[i + 1 :],
            "add": word[:i] + letter + word[i:],
            "swap": word[:i] + word[i + 1] + word[i] + word[i + 2 :],
        }[edit]
        if changed.lower() != word.lower():
            return changed
