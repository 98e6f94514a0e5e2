"""The word and code tables the synthetic registry draws from (api/seeding/synthetic.py)."""

from api.organisations.models import OrganisationStatus
from api.core.visibility import Visibility

STAKEHOLDER_TYPES = [
    # (code, weight, name patterns)
    ("NGO", 20, ["{place} Child Safety Foundation", "Save Childhood {place}", "{place} Coalition for Safe Childhood"]),
    ("INGO", 6, ["Global Alliance for {topic}", "International Network on {topic}"]),
    ("GOV", 10, ["Ministry of Digital Affairs of {place}", "{place} Office for Online Safety"]),
    ("GOV-LOC", 3, ["City of {city} Youth Services", "{city} Regional Council"]),
    ("REG", 5, ["{place} Communications Regulator", "{place} eSafety Authority"]),
    ("LEA", 8, ["{place} National Police Cybercrime Unit", "{place} Child Exploitation Investigation Team"]),
    ("JUS", 3, ["{place} Prosecution Service", "{place} Judicial Training Institute"]),
    ("IGO", 2, ["Regional Organisation for {topic}", "Intergovernmental Office on {topic}"]),
    ("HOTLINE", 7, ["{place} Internet Hotline", "{place} Safer Internet Centre"]),
    ("HELPLINE", 6, ["{place} Child Helpline", "Kids Line {place}"]),
    ("IND-PLAT", 6, ["{brand} Social", "{brand} Video", "{brand} Messenger"]),
    ("IND-ISP", 3, ["{brand} Telecom", "{brand} Broadband"]),
    ("IND-TECH", 5, ["{brand} Safety Labs", "{brand} Detection Systems"]),
    ("IND-ASSOC", 2, ["{place} Internet Industry Association", "{brand} Tech Coalition"]),
    ("ACAD", 8, ["University of {city} Centre for Child Protection", "{city} Institute of Criminology"]),
    ("FUND", 2, ["{brand} Foundation", "Fund to End Violence in {place}"]),
    ("MSP", 1, ["{place} Multi-Stakeholder Partnership on {topic}"]),
    ("YOUTH", 2, ["Young People's Panel of {place}", "{place} Youth Online Council"]),
    ("OTH", 1, ["{brand} Consulting", "{place} Parents Network"]),
]
PLACES = {
    "FR": ("France", "Lyon"), "DE": ("Germany", "Leipzig"), "GB": ("United Kingdom", "Leeds"),
    "IE": ("Ireland", "Cork"), "NL": ("Netherlands", "Utrecht"), "BE": ("Belgium", "Ghent"),
    "ES": ("Spain", "Valencia"), "IT": ("Italy", "Bologna"), "PT": ("Portugal", "Porto"),
    "SE": ("Sweden", "Uppsala"), "FI": ("Finland", "Tampere"), "PL": ("Poland", "Krakow"),
    "RO": ("Romania", "Cluj"), "GR": ("Greece", "Patras"), "US": ("United States", "Denver"),
    "CA": ("Canada", "Winnipeg"), "MX": ("Mexico", "Puebla"), "BR": ("Brazil", "Recife"),
    "CO": ("Colombia", "Medellin"), "AR": ("Argentina", "Rosario"), "KE": ("Kenya", "Mombasa"),
    "NG": ("Nigeria", "Ibadan"), "ZA": ("South Africa", "Durban"), "GH": ("Ghana", "Kumasi"),
    "IN": ("India", "Pune"), "PH": ("Philippines", "Cebu"), "TH": ("Thailand", "Chiang Mai"),
    "ID": ("Indonesia", "Bandung"), "AU": ("Australia", "Perth"), "NZ": ("New Zealand", "Dunedin"),
    "JP": ("Japan", "Sendai"), "KR": ("South Korea", "Daegu"), "MA": ("Morocco", "Fes"),
    "JO": ("Jordan", "Irbid"), "AE": ("United Arab Emirates", "Sharjah"), "UA": ("Ukraine", "Lviv"),
}
BRANDS = ["Northwind", "Bluefin", "Kestrel", "Lumen", "Orbit", "Pinecone", "Quartz", "Riverstone",
          "Sparrow", "Tidal", "Umbra", "Vantage", "Willow", "Zephyr", "Cobalt", "Meridian"]
TOPICS = ["Child Online Safety", "Ending Sexual Exploitation", "Digital Wellbeing", "Safer Platforms",
          "Victim Support", "Online Harms Research"]

ORG_STATUSES = [(OrganisationStatus.MEMBER, 82), (OrganisationStatus.OBSERVER, 8),
                (OrganisationStatus.PENDING, 7), (OrganisationStatus.SUSPENDED, 3)]
VISIBILITIES = [(Visibility.PUBLIC, 80), (Visibility.MEMBERS, 10), (Visibility.ORGANISATION, 10)]
INITIATIVE_STATUSES = [("PIPELINE", 12), ("IMPLEMENTATION", 50), ("FINALISATION", 10), ("CLOSED", 20),
                       ("CANCELLED", 4), ("SUSPENDED", 4)]
HARMS = ["CSAM-KNOWN", "CSAM-NEW", "CSAM-SG", "CSAM-AI", "SOLICITATION", "EXTORTION", "LIVESTREAM",
         "COMMERCIAL", "HSB", "BULLYING", "SELF-HARM", "ADULT-CONTENT", "HATE", "CONSUMER", "PRIVACY", "WELLBEING"]
INTERVENTION_TYPES = ["DET-HASH", "DET-CLS", "DET-SIG", "RPT-HOT", "RPT-USR", "RPT-MAN", "BLK", "AGE", "SBD",
                      "EDU-CH", "EDU-CG", "EDU-PRO", "AWR", "HELP", "VSS", "VID", "OFF-PRV", "OFF-MGT",
                      "LE-CAP", "JUS-CAP", "LEG", "GOV-STR", "RES", "CHP", "MED"]
TARGET_GROUPS = ["CHILDREN", "ADOLESCENTS", "CAREGIVERS", "EDUCATORS", "PROFESSIONALS", "LAW-ENFORCEMENT",
                 "INDUSTRY", "GENERAL-PUBLIC"]
ROLES = ["FUNDING", "ACCOUNTABLE", "EXTENDING", "IMPLEMENTING", "EVALUATOR", "TECH-PROVIDER", "DATA-PROVIDER",
         "ENDORSER"]
STUDY_DESIGNS = ["RCT", "CRCT", "DID", "ITS", "PSM", "PREPOST-C", "PREPOST", "XSEC", "SR", "QUAL", "MIXED",
                 "CASE", "TECH-BENCH", "EXPERT"]
INDEPENDENCE = ["SELF", "INDEPENDENT", "PARTICIPANT"]
OUTCOMES = ["PREVALENCE", "OFFENDING", "HELP-SEEKING", "KNOWLEDGE", "REMOVAL-TIME", "DETECTION-VOLUME",
            "DETECTION-ACCURACY", "REPORT-VOLUME", "VICTIM-ID", "PROSECUTION", "WELLBEING", "RE-UPLOAD", "REACH"]
DIRECTIONS = ["POSITIVE", "NO-EFFECT", "NEGATIVE", "MIXED", "UNCLEAR"]
# Outcomes whose rise is context only (seed/vocabularies/outcome.yaml): their findings have no direction.
CONTEXT_OUTCOMES = {"DETECTION-VOLUME", "REPORT-VOLUME", "REACH"}
# The strongest comparison each design gives (seed/vocabularies/study-design.yaml).
DESIGN_COMPARISONS = {"RCT": "RANDOMISED", "CRCT": "RANDOMISED", "SR": "RANDOMISED", "DID": "MATCHED", "PSM": "MATCHED",
                      "ITS": "UNMATCHED", "PREPOST-C": "UNMATCHED", "MIXED": "UNMATCHED", "PREPOST": "PRE-POST"}
RATINGS = ["EFFECTIVE", "PROMISING", "EMERGING", "PRUDENT", "PIONEERING", "CONFLICTING", "NO-EFFECT", "NOT-RATED"]
CERTAINTIES = ["HIGH", "MODERATE", "LOW", "VERY-LOW", "NOT-ASSESSED"]

# Every vocabulary code the generator writes, checked against the database before anything is written.
VOCABULARY_CODES = {
    "stakeholder-type": [s[0] for s in STAKEHOLDER_TYPES], "initiative-status": [s[0] for s in INITIATIVE_STATUSES],
    "harm": HARMS, "intervention-type": INTERVENTION_TYPES, "target-group": TARGET_GROUPS,
    "participation-role": ROLES, "independence": INDEPENDENCE, "study-design": STUDY_DESIGNS, "outcome": OUTCOMES,
    "effect-direction": [*DIRECTIONS, "NOT-APPLICABLE"], "evidence-rating": RATINGS, "certainty": CERTAINTIES,
    "comparison": ["NONE", *DESIGN_COMPARISONS.values()], "significance": ["YES", "NO", "NOT-TESTED"],
}

TITLE_HEADS = ["Hash-matching rollout", "Hotline capacity building", "Caregiver awareness campaign",
               "Age assurance pilot", "School-based prevention curriculum", "Grooming detection classifier",
               "Victim identification taskforce", "Helpline chat service", "Offender prevention programme",
               "Safety-by-design review", "Sextortion response protocol", "Judicial training course",
               "Livestream moderation toolkit", "Youth peer-educator network", "Reporting button redesign",
               "Survivor support fund", "Regional data-sharing agreement", "AI-generated CSAM research project"]
TITLE_TAILS = ["for {place}", "in {city}", "across {region}", "({year})", "phase {n}", "for {place} schools",
               "with {brand}", "for under-13s", "for frontline professionals"]
REGIONS = ["Europe", "West Africa", "Latin America", "South-East Asia", "the Nordics", "the Balkans", "the Gulf"]
SUMMARY_SENTENCES = [
    "The initiative {verb} {object} and reports outcomes to national stakeholders every quarter.",
    "It builds on an earlier pilot that {verb} {object} with measurable results.",
    "Partners share anonymised data under a common agreement and meet twice a year.",
    "The programme {verb} {object}, with a focus on the youngest and most vulnerable users.",
    "An independent evaluation is planned at the end of the current funding cycle.",
    "Materials are available in several languages and were co-designed with young people.",
]
VERBS = ["trains", "supports", "equips", "connects", "reaches", "protects"]
OBJECTS = ["teachers and school counsellors", "hotline analysts", "platform trust-and-safety teams",
           "parents of primary-school children", "specialist police investigators", "child helpline counsellors"]

# Titles in the language of the initiative's (first) country: ISO 639-1 code -> (heads, tails).
# Tails hold {place} and {city} in the grammatical form COUNTRY_LANGUAGES gives (Polish: locative).
TRANSLATED_TITLES = {
    "fr": (["Campagne de sensibilisation des parents", "Programme de prévention en milieu scolaire",
            "Ligne d'écoute pour les enfants et les adolescents", "Formation des enquêteurs spécialisés",
            "Détection des contenus pédocriminels", "Accompagnement des victimes de sextorsion"],
           ["en {place}", "à {city}", "({year})", "phase {n}"]),
    "de": (["Präventionsprogramm gegen Cybergrooming", "Aufklärungskampagne für Eltern",
            "Beratungstelefon für Kinder und Jugendliche", "Fortbildung für spezialisierte Ermittlerinnen und Ermittler",
            "Erkennung von Missbrauchsdarstellungen", "Hilfsangebot für Betroffene von Sextortion"],
           ["in {place}", "in {city}", "({year})", "Phase {n}"]),
    "es": (["Línea de ayuda para niños y adolescentes", "Campaña de sensibilización para familias",
            "Programa de prevención en las escuelas", "Formación de investigadores especializados",
            "Detección de material de abuso sexual infantil", "Atención a víctimas de sextorsión"],
           ["en {place}", "en {city}", "({year})", "fase {n}"]),
    "it": (["Campagna di sensibilizzazione per i genitori", "Attività di prevenzione nelle scuole",
            "Linea di ascolto per bambini e adolescenti", "Formazione per investigatori specializzati",
            "Rilevamento di materiale pedopornografico", "Sostegno alle vittime di sextortion"],
           ["in {place}", "a {city}", "({year})", "fase {n}"]),
    "pt": (["Campanha de sensibilização para pais", "Linha de apoio à criança", "Programa de prevenção nas escolas",
            "Formação de investigadores especializados", "Identificação de vítimas de exploração sexual",
            "Apoio às vítimas de sextorsão"],
           ["– {place}", "– {city}", "({year})", "fase {n}"]),
    "nl": (["Bewustwordingscampagne voor ouders", "Preventieprogramma op scholen", "Hulplijn voor kinderen en jongeren",
            "Training voor gespecialiseerde rechercheurs", "Opsporing van beeldmateriaal van seksueel kindermisbruik",
            "Ondersteuning van slachtoffers van sextortion"],
           ["in {place}", "in {city}", "({year})", "fase {n}"]),
    "sv": (["Föräldrakampanj om säkerhet på nätet", "Förebyggande arbete i skolan", "Stödlinje för barn och unga",
            "Utbildning för specialiserade utredare", "Upptäckt av övergreppsmaterial",
            "Stöd till barn som utsatts för sextortion"],
           ["i {place}", "i {city}", "({year})", "fas {n}"]),
    "pl": (["Kampania społeczna dla rodziców", "Program profilaktyczny w szkołach",
            "Telefon zaufania dla dzieci i młodzieży", "Szkolenie dla wyspecjalizowanych śledczych",
            "Wykrywanie materiałów przedstawiających seksualne wykorzystywanie dzieci", "Wsparcie dla ofiar sekstorsji"],
           ["w {place}", "w {city}", "({year})", "etap {n}"]),
}
COUNTRY_LANGUAGES = {
    "FR": ("fr", "France", "Lyon"), "DE": ("de", "Deutschland", "Leipzig"), "ES": ("es", "España", "Valencia"),
    "MX": ("es", "México", "Puebla"), "CO": ("es", "Colombia", "Medellín"), "AR": ("es", "Argentina", "Rosario"),
    "IT": ("it", "Italia", "Bologna"), "PT": ("pt", "Portugal", "Porto"), "BR": ("pt", "Brasil", "Recife"),
    "NL": ("nl", "Nederland", "Utrecht"), "BE": ("nl", "België", "Gent"), "SE": ("sv", "Sverige", "Uppsala"),
    "PL": ("pl", "Polsce", "Krakowie"),
}
ENGLISH = "en"
# 13 of the 36 countries have a phrase table; 70% of their initiatives take it: about a quarter overall.
TRANSLATED_SHARE = 0.7
PART_SHARE = 0.02  # initiatives that are a component of an earlier one of the same lead
PERIOD_SHARE = 0.4  # assessments that name the period their figures cover
