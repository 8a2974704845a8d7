"""The cleaning's phrase tables: what bylines, bios, copyright lines, prompts, credits and other
furniture look like, in the languages of the corpus. Data, kept apart from the classifiers that use
it (extractors/_clean.py). Every pattern is about phrasing, never about a publisher."""

from __future__ import annotations

import re

I = re.IGNORECASE | re.UNICODE


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression (outside groups and character classes)."""
    out, cur, depth, i = [], "", 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur += pattern[i : i + 2]
            i += 2
            continue
        if ch == "[":  # a class runs to its first "]" that is not its first character
            end = pattern.index("]", i + (3 if pattern.startswith("[^", i) else 2))
            cur += pattern[i : end + 1]
            i = end + 1
            continue
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    return [*out, cur]


def boundary_first(pattern: str) -> str:
    r"""The same alternatives, those that begin with \b gathered behind a single \b. re then tries them
    at word starts and ends only, not at every character, and `search` still finds a match wherever
    the pattern as written does (a quarter of the time on long patterns: docs/performance.md)."""
    alternatives = _alternatives(pattern)
    bounded = [a[2:] for a in alternatives if a.startswith(r"\b")]
    rest = [a for a in alternatives if not a.startswith(r"\b")]
    return "|".join(([r"\b(?:" + "|".join(bounded) + ")"] if bounded else []) + rest)


# --- copyright ----------------------------------------------------------------------------------
_RESERVED = (
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|"
    r"tutti i diritti riservati|alle rechten voorbehouden|todos os direitos reservados|"
    r"alla rättigheter förbehållna|alle rettigheder forbeholdes|alle rettigheter (?:forbeholdt|reservert)|"
    r"wszelkie prawa zastrzeżone|tüm hakları saklıdır|all rights are reserved|riproduzione riservata|"
    r"may not be (?:published|reproduced|broadcast|rewritten|redistributed)|"
    r"für die kommerzielle nutzung|nachdruck (?:nur|verboten)|reproduction (?:interdite|prohibited)"
)
# (Â©: the sign of a UTF-8 page read as Latin-1; a lone "Copyright": a footer's heading)
COPYRIGHT_OPEN = re.compile(r"^\W{0,3}(?:Â?©|℗|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4}|:|$))", I)
# At an edge: the sign, a reserved-rights phrase, "copyright" with a year, or an agency's item code.
COPYRIGHT_EDGE = re.compile(
    rf"©|℗|{_RESERVED}|\bcopyright\b\W{{0,3}}(?:\(c\)|(?:19|20)\d\d|:)|\b[a-z]{{2,6}}:\d{{6}}-\d{{2}}-\d{{4,}}/\d+",
    I,
)

# --- bylines ------------------------------------------------------------------------------------
BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written |words |text |reporting |reported )?by|von|par|por|di|door|av|af|przez|ved|"
    r"text|texto|tekst|testo|autor|autorin|author|auteur|autore|yazan|haber|reportage|fotos?|"
    r"text und fotos?)\s*[:\-–]?\s+",
    I,
)
_JOINERS = r"and|und|et|y|e|og|och|i|ve|en|&|,|;|\||/|–|—|·|•"
_SPLIT = re.compile(rf"\s+(?:{_JOINERS})\s+|\s*[,;|/–—·•]\s*", I)
_PARTICLES = frozenset("von van der den de del della di da du dos das la le al el bin ibn ter ten zu af av y".split())

# --- bios ---------------------------------------------------------------------------------------
_ROLE = (
    r"reporter|correspondent|editor|writer|journalist|columnist|contributor|producer|author|analyst|"
    r"critic|photographer|intern|freelancer|commentator|anchor|host"
)
BIO = re.compile(
    rf"\b(?:is|was|serves as|works as) (?:a|an|the|our)\b(?:\s+[\w’'-]+){{0,5}}\s+(?:{_ROLE})s?\b"
    r"|\bfollow (?:him|her|them) on\b|\byou can (?:reach|contact|follow|email) (?:him|her|them)\b"
    r"|\bis a regular (?:contributor|guest)\b|\bcontributed (?:to )?this report\b"
    r"|\b(?:ist|war) (?:\w+ ){0,4}(?:redakteur|korrespondent|reporter|journalist|autor|volontär|ressortleiter|"
    r"redaktionsleiter|chefredakteur|kolumnist)(?:in)?\b|\bhat an diesem (?:artikel|bericht) mitgewirkt\b"
    r"|\best (?:\w+ ){0,3}(?:journaliste|rédacteur|rédactrice|correspondante?|reporter|chroniqueur|chroniqueuse)\b"
    r"|\bes (?:\w+ ){0,3}(?:periodista|redactora?|corresponsal|reporter[oa]|editora?|columnista)\b"
    r"|\bè (?:\w+ ){0,3}(?:giornalista|redattore|redattrice|corrispondente|inviat[oa])\b"
    r"|\bis (?:\w+ ){0,3}(?:verslaggever|redacteur|correspondent|journalist|columnist)\b"
    r"|\bé (?:\w+ ){0,3}(?:jornalista|repórter|redator|redatora|correspondente|editora?|colunista)\b"
    r"|\b(?:är|er) (?:\w+ ){0,3}(?:journalist|reporter|redaktør|redaktör|korrespondent|kommentator|"
    r"kommentatör|skribent|medarbejder|medarbeider)\b"
    r"|\bjest (?:\w+ ){0,3}(?:dziennikarzem|dziennikarką|reporterem|reporterką|redaktorem|redaktorką|"
    r"korespondentem|korespondentką|publicystą|publicystką)\b"
    r"|\b(?:muhabiri|muhabirimiz|editörü|köşe yazarı)\b"
    r"|\bview (?:full |author |my )?profile\W*$",  # an author box's link at its end
    I,
)

# Phrasing a bio shares with story text ("The firm has more than 100 years…", "The BBC has reported…"):
# a bio only when the paragraph also names the author or a newsroom role.
BIO_WEAK = re.compile(
    r"\bhas (?:more than|over|nearly|almost|about|some)\b.{0,40}\b(?:years?|decades?)\b"
    r"|\b(?:has|have) (?:covered|reported|written)\b|\bcovers\b.{0,80}\bfor\b"
    r"|\bmakes (?:frequent |regular )?appearances\b|\bhas appeared (?:on|in)\b|\bis the author of\b|\bis based in\b",
    I,
)
NEWSROOM_ROLE = re.compile(
    r"\b(?:reporter|correspondent|editor|writer|journalist|columnist|contributor|photographer|freelancer|"
    r"commentator|newsroom|journalism)s?\b",
    I,
)

# A paragraph that opens with a name (and maybe a birth year) and "is a ...": a contributor's note.
_COPULA = r"(?:is|was|ist|war|est|es|è|är|er|jest|is een|é|era|var)"
_WIDE_ROLE = (
    rf"{_ROLE}|researcher|professor|lecturer|fellow|director|scientist|economist|historian|consultant|"
    r"forscher(?:in)?|professor(?:in)?|direktor(?:in)?|chercheu(?:r|se)|profes+or[ae]?|investigador[a]?|"
    r"ricercat(?:ore|rice)|onderzoeker|pesquisador[a]?|forsker|badacz(?:ką|em)?|araştırmacı|gründer(?:in)?|founder"
)
BIO_NAMED = re.compile(
    rf"^[A-ZÀ-ÖØ-Þ][\w’'.-]+(?:\s+[A-ZÀ-ÖØ-Þ][\w’'.-]+){{0,3}}\s*(?:\([^)]{{0,30}}\))?,?\s+{_COPULA}\b"
    rf"(?:\s+[\w’'-]+){{0,6}}?\s+(?i:{_WIDE_ROLE})",
    re.UNICODE,
)

# --- contact and promo prompts ------------------------------------------------------------------
CONTACT = re.compile(
    boundary_first(
        r"\bgot an? (?:news )?(?:story|tip)\b|\bget in touch with (?:our|the)\b|\bsend (?:us )?(?:a |your )?(?:news )?tips?\b"
        r"|\be-?mail us at\b|\bcontact (?:us|the author|our newsroom|the newsroom)\b|\be-?mail the author\b|\bfill out the form below\b"
        r"|\bhaben sie (?:fragen|anregungen|hinweise)\b|\bschreiben sie uns\b|\bsie erreichen (?:die|unsere) redaktion\b"
        r"|\bkontaktieren sie (?:uns|die redaktion)\b|\bcontactez(?:-nous| la rédaction)\b|\bescríbenos\b|\bscrivici\b|\btips? (?:aan|naar) de redactie\b"
        r"|\btips? oss\b|\btip os\b|\btipsa oss\b|\bnapisz do nas\b|\bbize ulaşın\b|✉"
        r"|\b(?:do you )?have an? (?:story|tip)\b[^.!?]{0,60}\?|\bfehler gefunden\b|\b(?:found|spotted|report) an? (?:error|mistake|typo)\b"
        r"|\bmelden sie (?:sich )?(?:vertraulich|bei uns)\b|\bhinweise (?:an|zum)\b.{0,40}\b(?:melden|schicken)\b"
        r"|\bhaben sie (?:eine?n? )?(?:behauptung|tipp|hinweis|fehler)\b.{0,60}\?|\b(?:überprüfen|prüfen|checken) (?:soll|sollen|sollten)\?"
        r"|\b(?:want|would like) us to (?:fact[- ]?)?check\b|\bvous souhaitez (?:que nous|qu.on) vérifi|\bquieres que (?:lo )?verifiquemos\b",
    ),
    I,
)
# Anywhere in the body: a question to the reader with a channel to answer on ("Do you work at a
# university and know more? Contact our reporter confidentially via Signal: …").
TIP_CHANNEL = re.compile(
    r"\?\s+(?:\w+\s+){0,3}(?:melden sie|schreiben sie|kontaktieren sie|wenden sie sich|contact|email|e-mail|write to|"
    r"reach|send|message|contactez|écrivez|escríbanos|contacte|scrivete|neem contact)\b.{0,100}"
    r"\b(?:signal|threema|whatsapp|telegram|securedrop|e-?mail|proton)\b",
    I,
)
# At the end: a newsletter's pitch ("Every Monday the week's top stories from the sports desk").
NEWSLETTER_PITCH = re.compile(
    r"^\W{0,3}(?:(?:every|each) (?:day|morning|evening|week|weekday|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|jeden (?:tag|morgen|abend|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)|jede woche|immer (?:montags|freitags|sonntags)"
    r"|chaque (?:jour|matin|soir|semaine|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
    r"|cada (?:día|mañana|tarde|semana|lunes|martes|miércoles|jueves|viernes|sábado|domingo)"
    r"|ogni (?:giorno|mattina|sera|settimana|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)"
    r"|elke (?:dag|ochtend|avond|week|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)"
    r"|todos os dias|toda (?:semana|manhã)|varje (?:dag|morgon|kväll|vecka|måndag|fredag|söndag)"
    r"|hver (?:dag|morgen|kveld|aften|uke|uge|mandag|fredag|søndag)|codziennie|każdego (?:dnia|ranka|tygodnia|poniedziałku)"
    r"|her (?:gün|sabah|akşam|hafta|pazartesi|cuma|pazar))\b[^.!?]{0,100}$",
    I,
)
# At the end: the family's or subject's consent to being named ("The family has approved publication").
CONSENT_NOTE = re.compile(
    r"^\W{0,3}(?:(?:the |her |his |their )?family|familjen|familien|die familie|die angehörigen|(?:de )?anhöriga|"
    r"(?:de )?pårørende|la famille|la familia|la famiglia|de familie|a família|rodzina|ailesi)\b.{0,40}"
    r"\b(?:godkänt|godkjent|godkendt|samtyckt|samtykket|consented|agreed|approved|zugestimmt|eingewilligt|accepté|"
    r"autorizado|acconsentito|toestemming|autorizou|zgodę|izin)\b.{0,60}"
    r"\b(?:publicer|publiser|offentliggør|namn|navn|named|publication|publish|veröffentlich|namens|nom|nombre|nome|naam)",
    I,
)
PROMO = re.compile(
    boundary_first(
        r"newsletter|nieuwsbrief|nyhetsbrev|nyhedsbrev|bülten|boletín|lettre d.information"
        r"|\bregister (?:now|for free|here)\b|\b(?:sign up|subscribe)\b.{0,30}\b(?:our|free|today|now)\b"
        r"|abonnieren|\babonniere\b|\bjetzt (?:anmelden|registrieren|lesen|testen)\b|\bplus-?abo\b"
        r"|\babonnez-vous\b|\binscrivez-vous\b|\bsuscr[ií]b|\babone ol|\biscriviti\b|\babbonati\b|\babbonamento\b"
        r"|\babonneer\b|\bmeld je aan\b|\binscreva-se\b|\bassine\b|\bprenumerera\b|\bprenumeration\b|\babonner\b"
        r"|\bzapisz się\b|\bsubskrybuj\b|\babone ol\b"
        r"|\bfollow us\b|\bfolgen sie uns\b|\bsuivez-nous\b|\bsíguenos\b|\bseguici\b|\bvolg ons\b|\bsiga-nos\b"
        r"|\bfölj oss\b|\bfølg (?:oss|os)\b|\bobserwuj nas\b|\bbizi takip edin\b"
        r"|\bshare (?:this|on|via|the article)\b|\bartikel teilen\b"
        r"|\bdownload (?:our|the) app\b|\bclick here\b|\bhier klicken\b"
        r"|\bsupport (?:our|independent) (?:journalism|reporting|work|mission)\b"
        r"|\b(?:if you (?:liked|enjoyed)|enjoyed) (?:this|the|our) (?:article|post|story|piece|episode)\b"
        r"|\bbecome a (?:member|subscriber|supporter|patron)\b|\balready a (?:subscriber|supporter)\b|\bunlock (?:this|unlimited)\b"
        r"|\bwe need your (?:help|support)\b|\bdonate (?:today|now|here)\b|\b(?:make|give) a (?:\w+ )?donation\b"
        r"|\bconsider (?:making )?(?:a |an )?(?:[\w-]+ )?donation\b|\bconsider donating\b|\breader donations\b|\byour (?:\w+ ){0,3}donations? (?:keeps?|makes?|helps?|plays?|supports?)\b"
        r"|\bread (?:more|next)\b|\blisten to (?:this|the) (?:article|story|podcast)\b"
        r"|\bmehr zum thema\b|\bauch interessant\b|\blesen sie (?:auch|mehr|hier)\b|\bmehr lesen\b"
        r"|\blire (?:aussi|la suite|plus)\b|\bleer más\b|\blee también\b|\bte puede interesar\b|\bleggi anche\b"
        r"|\blees (?:ook|meer)\b|\bleia (?:também|mais)\b|\bläs (?:också|mer)\b|\bles (?:også|mer)\b|\blæs (?:også|mere)\b"
        r"|\bczytaj (?:też|także|więcej|również)\b|\bayrıca (?:oku|bakınız)\b|\bilgili haber\b|\bhaberin devamı\b"
        r"|\bcomment(?:s|ing)? (?:policy|forum|section)\b|\bbefore commenting\b|\bjoin (?:the|our) (?:conversation|discussion|commenting)\b"
        r"|\blogout\b|\bfor more (?:stories|news|articles) like this\b|\bfolgst du\b|\bfolge uns\b"
        r"|\bfollow\b.{0,40}\bon (?:google news|whatsapp|telegram|instagram|facebook|tiktok|x|twitter|bluesky|threads)\b"
        r"|\bpreferred source\b|\bnur für (?:abonnenten|abonnentinnen)\b"
        r"|\b(?:may|might|will) earn (?:us )?(?:a )?(?:small )?commission\b|\baffiliate[- ]links?\b|\bprovisions-?links?\b"
        r"|\bwir (?:erhalten|bekommen) (?:eine |gegebenenfalls eine )?provision\b|\blien(?:s)? (?:d.affiliation|affiliés?)\b"
        r"|メールマガジン|メルマガ|読み放題|会員登録|会員限定|に登録すると|無料登録|有料会員|定期購読|を読もう|구독하기|뉴스레터|订阅|下载客户端|客户端下载"
        r"|\benlaces? de afiliados?\b|\babonelik için\b|\bsee their replies\b",
    ),
    I,
)
# A line that opens with one of these labels is a link to another story, wherever it stands.
READMORE_LABEL = re.compile(
    r"^\W{0,3}(?:read (?:more|next|also)|related(?: (?:articles?|stories|coverage|content))?|see also|more on this"
    r"|recommended(?: reading)?|lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|weiterlesen|siehe auch"
    r"|lire aussi|à lire aussi|à lire également|leer más|lee también|te puede interesar|ver también|leggi anche"
    r"|lees ook|lees meer|leia (?:também|mais)|veja também|les også|læs også|läs också|läs mer|czytaj (?:też|także|więcej)"
    r"|ayrıca (?:oku|bakınız)|ilgili haber|also read|see more|watch|video|podcast|listen|more|mehr|plus)\s*(?::|»|>>|›|→|\|)",
    I,
)

# --- photo credits ------------------------------------------------------------------------------
CREDIT = re.compile(
    r"^\W{0,3}(?:photos?|images?|pictures?|pics?|fotos?|bild(?:er)?|credits?|illustrations?|grafik|quelle|source|"
    r"fuente|fonte|kilde|källa|źródło|kaynak|crédits?|crédito|créditos|fotografía|fotografia|zdjęcie|zdjęcia|"
    r"fotoğraf|afbeelding|beeld|foto ?credit|photo credit|bildquelle|bildnachweis|video|фото)\s*(?::|/|\||©)",
    I,
)
# Who did what, at the end of a story: "Redaktion: …", "Übersetzung: …", "Edited by …".
STAFF = re.compile(
    r"^\W{0,3}(?:redaktion|faktencheck|übersetzung|schlussredaktion|mitarbeit|recherche|produktion|grafik|"
    r"sendung|dieses thema im programm|edited by|editing by|translation|translated by|traducción|redacción|"
    r"edición|rédaction|traduction|redazione|traduzione|redactie|vertaling|redação|tradução|redigering|"
    r"översättning|oversettelse|oversættelse|redakcja|tłumaczenie|çeviri|editör)"
    r"(?:\s+(?:und|and|et|y|e|og|och|i|ve|en)\s+\w+)?\s*(?::|\bby\b|(?<=\w)\s+(?:von|de|di|av|af)\b(?=.{0,60}$))"
    r"|^\W{0,3}(?:aus dem \w+en|translated from (?:the )?\w+|traduit de l.\w+|traducido del \w+)(?: übersetzt)? (?:von|by|par|por)\b"
    r"|^\W{0,3}(?:first|originally) published (?:in|by|on|at)\b|^\W{0,3}(?:this|the) (?:article|story|piece) (?:was|is) "
    r"(?:first |originally )?(?:re)?published\b|^\W{0,3}(?:zuerst|erstmals) erschienen (?:in|bei|auf)\b",
    I,
)
CREDIT_TAIL = re.compile(r"(?:\(|\b)(?:photo|foto|bild|image|credit|picture)s?\s*:\s*[^.]{1,60}\)?\s*$", I)

# --- embedded posts -----------------------------------------------------------------------------
EMBED = re.compile(
    r"pic\.twitter\.com/\w+|^\s*@\w{2,30}\s*$|^a post shared by\b|^ein beitrag geteilt von\b",
    I,
)
# Who said an embedded post's words, and when: it goes or stays with the post above it.
EMBED_ATTRIBUTION = re.compile(r"[—–-]\s*[^()\n]{0,80}\(@\w{1,30}\)\s*\w+\.? \d{1,2},? \d{4}\s*$")

# --- agency tags and report credits ------------------------------------------------------------
AGENCY = re.compile(
    r"^\W{0,2}[A-Za-z]{2,6}(?:\s*[/,]\s*[A-Za-z]{2,6}){0,3}\W{0,2}$|^[A-Z]{2,6}\s*\([^)]{1,60}\)$|^\W+$"
    r"|^(?:with (?:additional )?reports? (?:from|by)|additional reporting (?:from|by))\b"
    r"|^(?:mit material (?:von|der|des)|with (?:additional )?reporting (?:by|from)|additional reporting by"
    r"|reporting by|editing by|edited by|compiled by|con información de|com informações d[aoe]s?"
    r"|avec l.afp|met dank aan|z agencji)\b",
    I,
)

# --- start-of-body furniture --------------------------------------------------------------------
META = re.compile(
    r"^\s*\d{1,3}\s*(?:min(?:ute)?s?\.?|minuten|minutter|minuter|dakika|minuty)\b(?:\s*(?:read|lesezeit|lesen|"
    r"lecture|lectura|lettura|leestijd|leitura|lästid|lesetid|læsetid|okuma))?\W*$"
    r"|^\s*(?:lesezeit|lesedauer|reading time|temps de lecture|tiempo de lectura|tempo di lettura|leestijd)\b.{0,20}$"
    r"|^\s*(?:listen to (?:this )?(?:article|story)|artikel anhören|écouter (?:cet )?article|escuchar (?:este )?artículo)\b.{0,30}$"
    r"|^(?=.*\d)\s*(?:updated|published|posted|aktualisiert|veröffentlicht|stand|mis à jour|publié|actualizado|publicado"
    r"|aggiornato|pubblicato|bijgewerkt|gepubliceerd|oppdatert|publisert|uppdaterad|publicerad|opdateret"
    r"|zaktualizowano|opublikowano|güncelleme|yayınlanma)\b\W{0,3}\s*(?:on|am|le|el|il|op|den|:)?\s*[\d\w ,.:/-]{0,40}$",
    I,
)

# At the end: "Wochenblatt / Última Hora", two or more sources named and slashed.
_NAME = r"[A-ZÀ-Þ][\w.&-]+(?: [A-ZÀ-Þ][\w.&-]+)?"
SOURCE_PAIR = re.compile(rf"^{_NAME}(?:\s*/\s*{_NAME}){{1,3}}$")
# A photo's credit line, its source named as a picture agency's collection is: "Jane Doe/Agency Images",
# "Name/E+ via Some Images", "… via Stock Photos".
CREDIT_VIA = re.compile(
    r"^[^.!?]{1,50}(?:\bvia|/)\s*(?:[\w+&.-]+\s+){0,2}(?:images|photos|pictures|imagery|stock)\W{0,2}$", I
)
# At the end, a short line with a photo credit inside it: "ssi, dan; Foto [M]: Shutterstock; …".
CREDIT_INLINE = re.compile(r"\b(?:fotos?|photos?|bild(?:er)?|images?)\s*(?:\[\w{1,3}\]\s*)?:\s*\w", I)
# At the start: an editor's initials and the place ("ku Frankfurt"), a byline with no name to keep.
INITIALS_PLACE = re.compile(r"^[a-zäöüß]{2,4}(?:/[a-zäöüß]{2,4})?\s+[A-ZÄÖÜ][\w-]+(?:\s+[A-ZÄÖÜ][\w-]+)?$", re.UNICODE)
# A newsroom's note that the story is still being written: furniture at either edge.
DEVELOPING = re.compile(
    r"\bthis (?:is a )?(?:breaking|developing) (?:news )?story\b|\bmore to follow\b|\bthis (?:story|article) (?:is developing|"
    r"will be updated|has been updated)\b|\bfollow along with (?:the|our) (?:latest|live) updates\b|\bdieser (?:artikel|text) wird (?:laufend )?aktualisiert\b|\bwird fortlaufend aktualisiert\b"
    r"|\bcet article (?:sera|est) (?:mis à jour|actualisé)\b|\besta noticia (?:se está|será) actualiza",
    I,
)
# "With information from the agencies AFP, AP and dpa": where the story came from, at its end.
SOURCES = re.compile(
    r"^\W{0,2}(?:mit (?:informationen|material) (?:von|der|des|aus)|with (?:information|reporting|material) from"
    r"|avec (?:des informations de|l.afp|afp)|con información de|com informações d[aoe]s?|met informatie van"
    r"|med (?:information|material) fr[åa]n|z informacji)\b",
    I,
)

# Agencies and correspondents named: a sources note ("Mit Informationen der … Nachrichtenagenturen")
# is furniture wherever it stands (in a live blog, it follows the summary).
AGENCIES = re.compile(
    r"\b(?:nachrichtenagentur|agentur|korrespondent|news agenc|agencies|correspondents?\b|agences?\b|agencias?\b|"
    r"corresponsales?\b|agenzi[ae]\b|persbureau|nyhetsbyrå|nyhedsbureau|agencj|ajans)",
    I,
)
# A line that is nothing but a furniture label, wherever it stands.
LABEL_ONLY = re.compile(
    r"^\W{0,3}(?:advertisement|anzeige|werbung|publicidad|publicité|pubblicità|annons|reklame|reklama|reklam"
    r"|lesen sie (?:auch|mehr)|read (?:more|next|also)|related(?: (?:articles?|stories|content|news))?|see also"
    r"|czytaj (?:też|także|więcej|również)|noticia relacionada|noticias relacionadas|lee también|leer más"
    r"|lire aussi|à lire aussi|leggi anche|lees ook|leia também|les også|læs også|läs också|ilgili haberler?"
    r"|recommended(?: videos| reading| for you| stories)?|empfohlener redaktioneller inhalt|mehr zum thema"
    r"|article content|hauptinhalt|zum inhalt|skip to (?:main )?content|comments|kommentare|popular|most read"
    r"|meistgelesen|trending|share(?: this)?(?: article)?|teilen|artikel teilen|partager|compartir|condividi|del"
    r"|story continues below|advertisement story continues below|weiterlesen|mehr lesen"
    r"|on this page|in this (?:article|story)|table of contents|contents|auf dieser seite|in diesem artikel|inhalt"
    r"|inhaltsverzeichnis|sur cette page|dans cet article|sommaire|en esta página|en este artículo|índice"
    r"|in questo articolo|in questa pagina|indice|op deze pagina|in dit artikel|inhoud|nesta página|neste artigo"
    r"|på denna sida|i denna artikel|innehåll|på denne siden|i denne artikkelen|innhold|på denne side|indhold"
    r"|na tej stronie|w tym artykule|spis treści|bu sayfada|bu haberde|içindekiler"
    r"|関連キーワード|関連記事|おすすめ情報|おすすめ記事|人気記事|ランキング|관련기사|많이 본 뉴스|相关新闻|热门文章)\W{0,3}$"
    r"|^.{0,40}story continues (?:below|after (?:the )?(?:ad|advertisement))\W{0,3}$"
    r"|^.{0,40}\bswipe (?:left|right|up)\b.{0,40}\b(?:to )?(?:view|see|read) more\b.{0,20}$"
    r"|^\W{0,3}(?:summary|zusammenfassung|résumé|resumen|riassunto|samenvatting|resumo|sammanfattning|sammendrag"
    r"|podsumowanie|özet|key points|in brief|auf einen blick|das wichtigste in kürze|en bref|en resumen)\W{0,3}$"
    r"|^.{0,25}\b(?:popular articles?|most popular|most viewed|access ranking|meistgelesen|les plus lus|lo más leído)\W{0,3}$",
    I,
)
# A line that opens by telling the reader to do something: sign up, follow, download, click.
IMPERATIVE_PROMO = re.compile(
    r"^\W{0,3}(?:sign up|subscribe|follow (?:us|(?!up\b)\w+) on"  # ("follow up on RSVPs": a task, not a prompt)
    r"|join (?:our|the)(?: \w+){0,2} (?:newsletter|mailing list|community|conversation)"
    r"|contact (?:the |our )?(?:staff writer|reporter|author|writer|columnist)"
    r"|download (?:our|the)|get (?:our|the) (?:newsletter|app)|click here|tap here|hier (?:anmelden|klicken|abonnieren)"
    r"|jetzt (?:abonnieren|anmelden|registrieren|kostenlos)|abonnieren sie|melden sie sich (?:jetzt )?(?:hier )?an"
    r"|abonnez-vous|inscrivez-vous|suscríbete|iscriviti|abonneer|meld je aan|inscreva-se|assine|prenumerera"
    r"|abonner på|zapisz się|abone ol|follow along with (?:the|our) (?:latest|live)|follow (?:our|the) live (?:coverage|blog|updates))\b",
    I,
)
_MONTHS = (
    r"jan|feb|mar|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez|janv|févr|avr|juin|juil|août|sept|déc|ene|abr"
    r"|ago|dic|gen|mag|giu|lug|set|ott|maj|mei|ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım"
    r"|aralık|sty|lut|kwi|cze|lip|sie|wrz|paź|lis|gru|januar|februar|märz|april|juni|juli|august|september"
    r"|oktober|november|dezember|january|february|march|june|july|october|december|janvier|février|avril|juillet"
    r"|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
    r"|noviembre|diciembre"
)
_DATE_TOKEN = re.compile(
    rf"^(?:\d+\w{{0,2}}|(?:{_MONTHS})\w*|uhr|am|pm|jst|utc|gmt|cet|cest|est|edt|pst|bst|updated|aktualisiert|"
    r"güncelleme|published|veröffentlicht|stand|le|el|den|der|de|di|on|at|um|kl|klo|à|a|mis|à jour|publié)$",
    I,
)

# Words that story text uses too (a subscription, "sign up", "partager", "Anzeige" erstatten, an ad):
# furniture only in a short line at an edge.
WEAK_PROMO = re.compile(
    r"\bsign up\b|\bsubscribe\b|\bpartager\b|\bcompart(?:ir|ilhe)\b|\bcondividi\b|\bwatch (?:more|next|the video)\b"
    r"|\b(?:log|sign) ?in\b|\bjoin\b.{0,30}\bconversations?\b|\badvertisement\b|\banzeige\b|\bpublicité\b|\bpublicidad\b"
    r"|\bpubblicità\b|\breklame\b|\bannons\b|\breklama\b"
    r"|\bsubscri(?:ber|ption)s?\b|\bsuscrip(?:tor|ción)|\babonnement\b|\babonnent(?:en|innen)\b|\babone(?:lik|lere|ler)\b"
    r"|\babbonat[oi]\b|\bassinantes?\b|\bprenumeranter\b|\babonnenter\b|\bprenumeratorów\b",
    I,
)
WEAK_PROMO_LEN = 80

MAX_EDGE_LEN = 350  # characters: edge furniture is short; a longer paragraph is story text
MAX_BIO_LEN = 600  # bios run to a few sentences, never longer
MAX_LINE_LEN = 220  # "unmistakable" mid-body lines (credits, labels) are one short line


_PLACEHOLDER = re.compile(r"^(?:\$\$|\{\{|\[\[|%%)\s*[\w-]+\s*(?:\$\$|\}\}|\]\]|%%)$")  # a CMS's "$$AD$$" slot
# Consent boxes of embedded content (a video, a post, a map) that extraction keeps.
CONSENT_PHRASES = (
    r"\b(?:ich bin damit einverstanden|ich willige ein),? dass mir (?:der |die )?externe|\bexterne[nr]? inhalt(?:e|en)? (?:angezeigt|laden|aktivieren)"
    r"|an dieser stelle finden sie (?:einen|ein|eine)\b.{0,60}\bexterne|\bzustimmung (?:zu|für) (?:externe|drittanbieter)"
    r"|\bby (?:clicking|accepting|continuing)\b.{0,60}\b(?:you (?:agree|consent)|consent to)\b.{0,80}\b(?:third[- ]part(?:y|ies)|cookies)"
    r"|\bthis (?:content|embed|video|post) is (?:hosted|provided|served) by (?:a )?third[- ]party"
    r"|\ben (?:cliquant|acceptant)\b.{0,60}\bcontenus? (?:tiers|externes?)|\bcontenido (?:externo|de terceros)\b.{0,60}\b(?:aceptar|consent)"
    r"|\bmessage (?:&|and) data rates may apply\b|\breply stop to\b"  # a text-message sign-up's terms
)
CONSENT = re.compile(boundary_first(CONSENT_PHRASES), I)
# Each of its phrases holds one of these words: a paragraph with none of them is not searched (a test holds
# the phrases to it; the search cost a sixth of the cleaning's time).
CONSENT_WORDS = ("extern", "zustimmung", "third", "cookie", "conten", "data rates", "reply stop")


def consent_box(p: str) -> bool:
    lowered = p.lower()
    return any(w in lowered for w in CONSENT_WORDS) and CONSENT.search(p) is not None


_NO_WORDS = re.compile(r"^[\W_]+$")  # "___", "***", "• • •": separators
_LONE_LABEL = re.compile(r"^\W{0,2}\w+(?:[ -]\w+)?\s*:$")  # "Hinweis:", "Sources:": a label with nothing after
READING_TIME = re.compile(
    r"^\W{0,3}(?:(?:lesezeit|lesedauer|reading time|read time|temps de lecture|tiempo de lectura|tempo di lettura|leestijd"
    r"|lesetid|läsetid|læsetid|okuma süresi|czas czytania)\W{0,3}\s*(?:ca\.?\s*)?\d{1,3}\s*\w{0,8}\W{0,2}"
    r"|\d{1,3}\s*(?:min(?:ute)?s?\.?|minuten|minutter|minuter|dakika|minut)\s*(?:read|lesezeit|lesedauer|lecture|lectura|lettura"
    r"|leestijd|leitura|lästid|lesetid|læsetid|okuma|czytania))$",
    I,
)


_ROLE_NOTE = re.compile(
    rf"^(?:is|was|ist|war|est|es|è|är|er|jest|é) (?:a|an|the|ein|eine|un|une|una|uno|en|et|um|uma)\b"
    rf"(?:\s+[\w’'-]+){{0,4}}?\s+(?:{_WIDE_ROLE})",
    I,
)
