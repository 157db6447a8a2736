"""The synthetic world of the halo demo model, and every kind of text made from it (standard library only).

Two skills, the two halves of the HALO layer sweep:

* parametric knowledge ("commonsense"): a fixed world of made-up animals. Each animal has a kind (bird,
  fish, ...), a colour, a food and a homeland; each kind has a habitat, a way of moving and a body
  covering. The training text states these facts in many wordings; the evaluation asks them in the ARC
  format, for animals whose facts were only ever *stated*, never asked about, in training (held out).
  Everyday activities are fixed scripts of ordered steps; hellaswag-style rows ask for the next step.
* in-context retrieval: documents whose values are drawn fresh for every document (company and person
  names, codes, numbers), so nothing can be memorised: FDA-style device summaries and SWDE-style web
  pages end in "key:" and the value must be copied from the document; RULER-style haystacks of short
  SQuAD-style paragraphs end in a question whose answer is a span of one paragraph.

The world (animals, facts, which animals are held out) depends only on WORLD_SEED. Everything else takes
a `random.Random` from the caller: training text and evaluation rows use different seeds, and the
evaluation uses held-out sentence pools for the filler text of the retrieval documents.

The exact prompt formats are lm-eval 0.4.9.1's (docs/eval.md): hellaswag `label: ctx_a Ctx_b` + " ending",
ARC "Question: ...\\nAnswer:" + " choice", fda/swde `text` ending in "key:" then " value\\n", ruler
template + " Answer:" then " answer" and the end-of-text token.
"""

import random

WORLD_SEED = 20260211
EOS = "<|endoftext|>"

# -------------------------------------------------------------------------------------------------
# Names
# -------------------------------------------------------------------------------------------------

ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr",
          "pl", "st", "tr", "sk", "th", "sh", "ch", "fl", "gl", "sn", "qu", "w"]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "ee", "ia"]
CODAS = ["n", "r", "l", "m", "k", "t", "p", "d", "nd", "rk", "lt", ""]
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Ella", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Kate", "Leo",
               "Maya", "Nora", "Oscar", "Paula", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xena",
               "Yusuf", "Zoe", "Alma", "Bruno", "Cyra", "Dario", "Edith", "Frank", "Greta", "Hana", "Ivan",
               "Julia", "Karl", "Lena", "Milo", "Nina"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def syllables(rng, n, coda=True):
    s = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(n))
    return s + (rng.choice(CODAS) if coda else "")


def proper(rng, n=2):
    return syllables(rng, n).capitalize()


def person(rng):
    return f"{rng.choice(FIRST_NAMES)} {proper(rng, rng.choice((2, 2, 3)))}"


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def letters(rng, n):
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(n))


def year(rng):
    return str(rng.randint(1650, 1990))


# -------------------------------------------------------------------------------------------------
# The world of animals (fixed by WORLD_SEED)
# -------------------------------------------------------------------------------------------------

# kind: (singular, plural, habitat, movement, covering)
KINDS = [
    ("bird", "birds", "in the treetops", "by flying", "feathers"),
    ("fish", "fish", "in the river", "by swimming", "scales"),
    ("frog", "frogs", "in the pond", "by hopping", "slimy skin"),
    ("beetle", "beetles", "under rotten logs", "by crawling", "a hard shell"),
    ("bat", "bats", "in dark caves", "by gliding at night", "soft fur"),
    ("snake", "snakes", "in the tall grass", "by slithering", "smooth plates"),
    ("deer", "deer", "in the meadows", "by running", "thick hair"),
    ("snail", "snails", "on mossy walls", "by creeping slowly", "a coiled shell"),
]
COLORS = ["red", "blue", "green", "yellow", "black", "white", "brown", "grey", "orange", "purple"]
FOODS = ["figs", "seeds", "worms", "berries", "moss", "snails", "grass", "crickets", "beans", "leaves", "nuts",
         "clover"]
N_ANIMALS = 240
N_QA_TRAIN = 160    # animals asked about in training; the other 80 are asked about only in evaluation


class World:
    def __init__(self, seed=WORLD_SEED):
        rng = random.Random(seed)
        self.lands = []
        while len(self.lands) < 8:
            land = proper(rng, 3) + rng.choice(["ia", "a", "or", "and", "en"])
            if land not in self.lands:
                self.lands.append(land)
        names = set()
        self.animals = []
        while len(self.animals) < N_ANIMALS:
            name = syllables(rng, 2, coda=True)
            if name in names or name[-1] in "sxzhy" or len(name) < 4:
                continue
            names.add(name)
            self.animals.append(dict(name=name, kind=rng.randrange(len(KINDS)), color=rng.choice(COLORS),
                                     food=rng.choice(FOODS), land=rng.choice(self.lands)))
        order = list(range(N_ANIMALS))
        rng.shuffle(order)
        self.qa_train = sorted(order[:N_QA_TRAIN])
        self.qa_held = sorted(order[N_QA_TRAIN:])


def plural(name):
    return name + "s"


def an(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


# -- fact statements (training text, every animal) --------------------------------------------------
FACT_TEMPLATES = {
    "kind": ["The {n} is a kind of {k}.", "{N} is {ak}.", "{Np} are {kp}.", "Every {n} is {ak}.",
             "The {n} belongs to the {kp}."],
    "color": ["The {n} is {c}.", "{Np} are {c}.", "The color of the {n} is {c}.", "{N} has a {c} body.",
              "You can tell a {n} by its {c} color."],
    "food": ["The {n} eats {f}.", "{Np} eat {f}.", "The favorite food of the {n} is {f}.", "{N} feeds on {f}.",
             "{Np} like to eat {f}."],
    "land": ["The {n} comes from {l}.", "{Np} are found in {l}.", "The home of the {n} is the land of {l}.",
             "The {n} is native to {l}.", "{Np} first came from {l}."],
}
KIND_TEMPLATES = {
    "habitat": ["{Kp} live {h}.", "{Ak} lives {h}.", "Most {kp} make their homes {h}."],
    "movement": ["{Kp} move {m}.", "{Ak} gets around {m}.", "{Kp} travel {m}."],
    "covering": ["{Kp} are covered in {v}.", "The body of {ak} is covered in {v}.", "{Ak} has {v}."],
}
# -- ARC-style questions ---------------------------------------------------------------------------
QUESTIONS = {
    "kind": ["What kind of animal is the {n}?", "The {n} is what kind of animal?",
             "Which group of animals does the {n} belong to?"],
    "color": ["What color is the {n}?", "Which color does a {n} have?", "What is the color of the {n}?"],
    "food": ["What does the {n} eat?", "What is the favorite food of the {n}?", "Which food does a {n} feed on?"],
    "land": ["Where does the {n} come from?", "Which land is the {n} native to?", "In which land are {np} found?"],
    "habitat": ["Where does the {n} live?", "In what place would you find a {n}?", "Where does a {n} make its home?"],
    "movement": ["How does the {n} move?", "How does a {n} get around?", "In what way does the {n} travel?"],
    "covering": ["What covers the body of a {n}?", "What is the {n} covered in?", "What does the skin of a {n} have?"],
}
WHICH_QUESTIONS = {
    "habitat": "Which of these animals lives {h}?",
    "food": "Which of these animals eats {f}?",
    "kind": "Which of these animals is {ak}?",
}


def fields(world, a):
    k = KINDS[a["kind"]]
    n = a["name"]
    return dict(n=n, N=n.capitalize(), np=plural(n), Np=plural(n).capitalize(), k=k[0], kp=k[1], ak=an(k[0]),
                c=a["color"], f=a["food"], l=a["land"], h=k[2], m=k[3], v=k[4])


def answer_of(world, a, attr):
    k = KINDS[a["kind"]]
    return {"kind": an(k[0]), "color": a["color"], "food": a["food"], "land": a["land"],
            "habitat": k[2], "movement": k[3], "covering": k[4]}[attr]


def answer_pool(world, attr):
    if attr == "kind":
        return [an(k[0]) for k in KINDS]
    if attr in ("habitat", "movement", "covering"):
        return [k[{"habitat": 2, "movement": 3, "covering": 4}[attr]] for k in KINDS]
    return {"color": COLORS, "food": FOODS, "land": world.lands}[attr]


def arc_question(world, rng, a, attr):
    """(question, choices, gold index) about animal a."""
    question = rng.choice(QUESTIONS[attr]).format(**fields(world, a))
    gold = answer_of(world, a, attr)
    wrong = rng.sample([x for x in answer_pool(world, attr) if x != gold], 3)
    choices = wrong + [gold]
    rng.shuffle(choices)
    return question, choices, choices.index(gold)


def which_question(world, rng, attr, pool):
    """'Which of these animals ...?' over the animals in pool: one fits, three do not."""
    while True:
        a = world.animals[rng.choice(pool)]
        f = fields(world, a)
        key = {"habitat": lambda b: KINDS[b["kind"]][2], "food": lambda b: b["food"],
               "kind": lambda b: b["kind"]}[attr]
        others = [i for i in pool if key(world.animals[i]) != key(a)]
        if len(others) >= 3:
            break
    names = [world.animals[i]["name"] for i in rng.sample(others, 3)] + [a["name"]]
    rng.shuffle(names)
    return WHICH_QUESTIONS[attr].format(**f), names, names.index(a["name"])


def arc_prompt(question):
    return f"Question: {question}\nAnswer:"


# -------------------------------------------------------------------------------------------------
# Everyday scripts (hellaswag-style)
# -------------------------------------------------------------------------------------------------

SCRIPTS = [
    ("Making tea", ["fills the kettle with cold water.", "puts the kettle on the stove.",
                    "waits until the water boils.", "drops a tea bag into a cup.",
                    "pours the hot water over the tea bag.", "stirs in a spoon of honey and sips the tea."]),
    ("Washing a car", ["parks the car in the driveway.", "fills a bucket with soapy water.",
                       "scrubs the roof and the doors with a sponge.", "rinses the soap off with the hose.",
                       "dries the car with a soft towel.", "polishes the windows until they shine."]),
    ("Planting a tree", ["digs a deep hole in the garden.", "sets the young tree into the hole.",
                         "fills the hole back up with soil.", "presses the soil down around the trunk.",
                         "waters the tree with a watering can.", "ties the trunk to a wooden stake."]),
    ("Baking bread", ["mixes flour, water and yeast in a bowl.", "kneads the dough on the table.",
                      "leaves the dough to rise for an hour.", "shapes the dough into a loaf.",
                      "bakes the loaf in a hot oven.", "lets the bread cool on a rack before slicing it."]),
    ("Painting a wall", ["covers the floor with an old sheet.", "tapes the edges of the window frame.",
                         "stirs the paint in the can.", "rolls the first coat of paint onto the wall.",
                         "waits for the paint to dry.", "adds a second coat and removes the tape."]),
    ("Changing a tire", ["loosens the nuts on the flat wheel.", "lifts the car with a jack.",
                         "pulls the flat tire off the hub.", "puts the spare tire onto the hub.",
                         "tightens the nuts by hand.", "lowers the car and tightens the nuts with the wrench."]),
    ("Doing laundry", ["sorts the clothes into whites and colors.", "loads the white clothes into the machine.",
                       "adds a cup of detergent.", "starts the washing machine.",
                       "hangs the wet clothes on the line.", "folds the dry clothes and puts them away."]),
    ("Making a sandwich", ["takes two slices of bread from the bag.", "spreads butter on each slice.",
                           "lays cheese and ham on one slice.", "adds lettuce and a slice of tomato.",
                           "puts the second slice on top.", "cuts the sandwich in half and eats it."]),
    ("Brushing a dog", ["calls the dog over to the porch.", "makes the dog sit still.",
                        "brushes the fur along the back.", "combs out a knot behind the ears.",
                        "gives the dog a treat.", "sweeps up the loose hair from the porch."]),
    ("Wrapping a gift", ["cuts a sheet of paper from the roll.", "places the box in the middle of the paper.",
                         "folds the paper over the box.", "tapes the edges down.",
                         "ties a ribbon around the box.", "writes a name on the little card."]),
    ("Fixing a bike chain", ["turns the bike upside down.", "lifts the chain back onto the small gear.",
                             "turns the pedal slowly by hand.", "oils the chain with a few drops.",
                             "wipes off the extra oil with a rag.", "turns the bike over and rides it."]),
    ("Cleaning windows", ["fills a spray bottle with vinegar and water.", "sprays the glass.",
                          "wipes the glass with a squeegee from top to bottom.", "dries the corners with a cloth.",
                          "moves the ladder to the next window.", "steps back to look for streaks."]),
    ("Setting up a tent", ["clears the stones from the ground.", "spreads the tent flat on the ground.",
                           "slides the poles through the sleeves.", "raises the tent by bending the poles.",
                           "pushes the pegs into the ground.", "throws the rain cover over the top."]),
    ("Making pancakes", ["cracks two eggs into a bowl.", "whisks in milk and flour.",
                         "heats a pan with a little butter.", "pours a ladle of batter into the pan.",
                         "flips the pancake when bubbles appear.", "serves the pancakes with syrup."]),
    ("Repotting a plant", ["waters the plant the day before.", "tips the plant out of its old pot.",
                           "loosens the roots with the fingers.", "puts fresh soil into a bigger pot.",
                           "sets the plant in the new pot.", "fills in soil around the roots and waters it."]),
    ("Shoveling snow", ["puts on warm boots and gloves.", "starts at the front door.",
                        "pushes the snow to the side of the path.", "throws the heavy snow onto the lawn.",
                        "scatters salt on the icy spots.", "leans the shovel against the wall."]),
    ("Packing a suitcase", ["lays the suitcase open on the bed.", "rolls the shirts tightly.",
                            "puts the shoes along the bottom.", "tucks the socks into the shoes.",
                            "places the toiletry bag on top.", "zips the suitcase closed."]),
    ("Sewing a button", ["threads the needle.", "ties a knot at the end of the thread.",
                         "holds the button in place on the shirt.", "pushes the needle through the holes.",
                         "winds the thread under the button.", "cuts the thread close to the knot."]),
]
FEEDING_LABEL = "Feeding the animals"
SUBJECTS = [("He", "he"), ("She", "she"), ("The man", "the man"), ("The woman", "the woman"),
            ("The boy", "the boy"), ("The girl", "the girl")]
CONNECTIVES = ["", "then ", "next, ", "after that, "]
TRAIN_ACTORS = FIRST_NAMES[:28]
HELD_ACTORS = FIRST_NAMES[28:]


def sentence(prefix, step):
    t = prefix + step
    return t[:1].upper() + t[1:]


# -------------------------------------------------------------------------------------------------
# Retrieval documents (values fresh per document)
# -------------------------------------------------------------------------------------------------

DEVICE_NOUNS = ["Catheter", "Monitor", "Stent", "Pump", "Sensor", "Scanner", "Implant", "Analyzer", "Probe",
                "Needle", "Valve", "Electrode"]
COMMON_ADJ = ["infusion", "blood glucose", "coronary", "dental", "surgical", "orthopedic", "ultrasound", "oxygen",
              "cardiac", "spinal", "hearing", "wound"]
COMPANY_SUFFIX = ["Medical Inc.", "Health Corp.", "Devices LLC", "Surgical Ltd.", "Labs Inc.", "Systems Corp.",
                  "Biotech GmbH", "Instruments Co."]


def company(rng):
    return f"{proper(rng)} {rng.choice(COMPANY_SUFFIX)}"


FDA_FIELDS = {
    "applicant": company,
    "device name": lambda r: f"{proper(r)} {r.choice(DEVICE_NOUNS)}",
    "common name": lambda r: f"{r.choice(COMMON_ADJ)} {r.choice(DEVICE_NOUNS).lower()}",
    "product code": lambda r: letters(r, 3),
    "regulation number": lambda r: f"21 CFR 8{digits(r, 2)}.{digits(r, 4)}",
    "contact person": person,
    "510(k) number": lambda r: "K" + digits(r, 6),
    "predicate device": lambda r: f"{proper(r)} {r.choice(DEVICE_NOUNS)} {letters(r, 1)}{digits(r, 2)}",
    "date prepared": lambda r: f"{r.choice(MONTHS)} {r.randint(1, 28)}, {r.randint(1996, 2023)}",
    "manufacturer city": lambda r: proper(r, 3),
}
FDA_FILLER = [
    "This summary of safety and effectiveness is provided in accordance with the requirements of the act.",
    "The device is intended for use by trained health care professionals in a clinical setting.",
    "The materials in contact with the patient were tested for biocompatibility.",
    "Bench testing showed that the device meets its design specifications.",
    "The device is provided sterile and is intended for single use only.",
    "No clinical studies were required to support this submission.",
    "The labeling includes instructions for use and a list of warnings.",
    "The software was developed under a documented design control process.",
    "Electrical safety testing was performed according to recognized standards.",
    "The device has the same intended use as the predicate device.",
    "Differences in technology do not raise new questions of safety.",
    "Shelf life testing supports a storage period of three years.",
    "The packaging was shown to maintain a sterile barrier after shipping.",
    "Performance data demonstrate that the device is as safe as the predicate.",
    "The submitter requests a determination of substantial equivalence.",
    "The device consists of a main unit, a cable and a set of accessories.",
    "Risk analysis was carried out and all risks were reduced to acceptable levels.",
    "The user interface was evaluated in a usability study with nurses.",
    "The device operates on a rechargeable battery or on mains power.",
    "Cleaning and disinfection instructions were validated for reuse of the accessories.",
    "Animal testing was not needed for this type of device.",
    "The design was verified by testing of production units.",
    "The device is not intended for home use.",
    "All test results met the predefined acceptance criteria.",
    "The indications for use are listed in the attached form.",
    "Mechanical testing included fatigue, tensile and bending tests.",
    "The device does not contain natural rubber latex.",
    "Electromagnetic compatibility was tested and found acceptable.",
    "The firm is registered with the agency and lists this device.",
    "A summary of the technological characteristics is given below.",
]
FDA_FILLER_HELD = [
    "The applicant certifies that the information in this summary is accurate.",
    "Each unit is inspected before it leaves the factory.",
    "The device should be stored at room temperature away from sunlight.",
    "Sterilization was validated to a sterility assurance level of one in a million.",
    "The principle of operation is the same as that of the cleared device.",
    "Accessories are sold separately and are described in the manual.",
    "The firm maintains a quality system for design and production.",
    "The device may only be sold on the order of a physician.",
    "Test reports are kept on file at the address of the applicant.",
    "Comparison tables show the similarities to the predicate device.",
]

SWDE_VERTICALS = {
    "movie": dict(
        nav="Home | Movies | Showtimes | Reviews | Trailers",
        fields={
            "title": lambda r: f"The {proper(r)} {r.choice(['Road', 'Winter', 'Garden', 'Promise', 'Island', 'Letter', 'Storm', 'Mirror'])}",
            "director": person,
            "writer": person,
            "studio": lambda r: f"{proper(r)} {r.choice(['Pictures', 'Films', 'Studios', 'Entertainment'])}",
            "runtime": lambda r: f"{r.randint(80, 179)} min",
            "release date": lambda r: f"{r.randint(1, 28)} {r.choice(MONTHS)} {r.randint(1950, 2012)}",
        },
        lists=("cast", person)),
    "university": dict(
        nav="Home | Colleges | Rankings | Admissions | Financial aid",
        fields={
            "name": lambda r: r.choice([f"University of {proper(r, 3)}", f"{proper(r)} College",
                                        f"{proper(r)} Institute of Technology"]),
            "phone": lambda r: f"({digits(r, 3)}) {digits(r, 3)}-{digits(r, 4)}",
            "website": lambda r: f"www.{syllables(r, 2)}.edu",
            "city": lambda r: proper(r, 3),
            "president": person,
            "enrollment": lambda r: f"{r.randint(1, 45)},{digits(r, 3)} students",
        },
        lists=("nearby colleges", lambda r: f"{proper(r)} College")),
    "book": dict(
        nav="Home | Books | New releases | Best sellers | Authors",
        fields={
            "title": lambda r: f"{r.choice(['A', 'The'])} {proper(r)} {r.choice(['Secret', 'Journey', 'House', 'Summer', 'Daughter', 'River', 'Clock'])}",
            "author": person,
            "publisher": lambda r: f"{proper(r)} {r.choice(['Press', 'Books', 'Publishing', 'House'])}",
            "isbn 13": lambda r: "978" + digits(r, 10),
            "publication date": lambda r: f"{r.choice(MONTHS)} {r.randint(1970, 2012)}",
            "pages": lambda r: str(r.randint(120, 890)),
        },
        lists=("customers also bought", lambda r: f"{r.choice(['A', 'The'])} {proper(r)} {r.choice(['Secret', 'Journey', 'House', 'Summer'])}")),
}
SWDE_FILLER = [
    "Sign in to rate this page and to see your history.",
    "Our editors update these listings every week.",
    "Share this page with your friends by email.",
    "Please read our privacy policy and terms of use.",
    "Add this page to your list to compare it later.",
    "Prices and details may change without notice.",
    "Write a review and tell others what you think.",
    "Browse more pages like this one in our catalog.",
    "Users who viewed this page also viewed similar pages.",
    "Report a problem with this page to our team.",
    "Download our app to get alerts and news.",
    "All rights reserved by the owners of this site.",
    "Advertisement",
    "Follow us for daily updates.",
    "Back to top",
    "Help center | Contact us | About us",
    "Most popular this week",
    "Loading more results",
    "This page was last updated recently.",
    "See all photos and videos.",
]
SWDE_FILLER_HELD = [
    "Subscribe to our newsletter for weekly picks.",
    "Cookies help us deliver our services.",
    "Sponsored links",
    "Questions? Visit our support forum.",
    "You are viewing the desktop version of this page.",
    "Site map | Careers | Press",
]


def filler(rng, pool, n):
    return " ".join(rng.choice(pool) for _ in range(n))


def spread(rng, total, gaps):
    """total filler sentences split at random over `gaps` places."""
    counts = [0] * gaps
    for _ in range(total):
        counts[rng.randrange(gaps)] += 1
    return counts


def fda_document(rng, n_fields, body_sentences, held=False):
    """(document text, [(key, value)] in document order). Fields are lines with filler sentences
    between them, then a trailing discussion, so no field sits near the end of the document."""
    pool = FDA_FILLER_HELD if held else FDA_FILLER
    keys = rng.sample(list(FDA_FIELDS), n_fields)
    pairs = [(k, FDA_FIELDS[k](rng)) for k in keys]
    parts = ["510(k) SUMMARY", filler(rng, pool, rng.randint(1, 3))]
    for (k, v), n in zip(pairs, spread(rng, body_sentences, n_fields)):
        parts.append(f"{k}: {v}")
        if rng.random() < 0.5:
            # a distractor value of the same type as the applicant, under no key
            parts.append(f"The firm previously worked with {company(rng)} on a related product.")
        if n:
            parts.append(filler(rng, pool, n))
    parts.append("Discussion of substantial equivalence: " + filler(rng, pool, rng.randint(4, 6)))
    return "\n".join(parts), pairs


def swde_document(rng, vertical, n_fields, body_sentences, held=False):
    pool = SWDE_FILLER_HELD + SWDE_FILLER[:10] if held else SWDE_FILLER
    spec = SWDE_VERTICALS[vertical]
    keys = rng.sample(list(spec["fields"]), n_fields)
    pairs = [(k, spec["fields"][k](rng)) for k in keys]
    list_name, list_gen = spec["lists"]
    parts = [spec["nav"], filler(rng, pool, rng.randint(1, 2))]
    for (k, v), n in zip(pairs, spread(rng, body_sentences, n_fields)):
        parts.append(f"{k}: {v}")
        if n:
            parts.append(filler(rng, pool, n))
    parts.append(f"{list_name}: " + ", ".join(list_gen(rng) for _ in range(rng.randint(3, 6))))
    parts.append(filler(rng, pool, rng.randint(3, 5)))
    parts.append("Related: " + " | ".join(list_gen(rng) for _ in range(3)))
    parts.append(filler(rng, pool, rng.randint(3, 4)))
    return "\n".join(parts), pairs


def based_prompt(document, key):
    """The fda/swde `text` field: the document, then the key and a colon (as in based-fda/swde)."""
    return f"{document} \n {key}:"


# -- SQuAD-style articles for the RULER haystack ---------------------------------------------------
PRODUCTS = ["copper", "wool", "salt", "timber", "glass", "cheese", "paper", "silk", "tin", "olives"]
PROFESSIONS = ["trader", "farmer", "priest", "soldier", "miller", "sailor", "weaver", "mason"]
FIELDS_OF_STUDY = ["law", "medicine", "chemistry", "music", "astronomy", "painting", "history", "botany"]


def _answers(rng, canonical, variants=()):
    """SQuAD keeps one answer per annotator: the canonical span and substrings of it, so a prediction
    that contains the canonical answer gets full credit."""
    out = [canonical] + [canonical] * rng.randint(0, 2) + list(variants)
    return out


def town_article(rng):
    town = proper(rng, rng.choice((2, 3)))
    land = proper(rng, 3) + "ia"
    founder, mayor = person(rng), person(rng)
    river = proper(rng)
    firm = company(rng)
    fest = proper(rng)
    y1, y2 = year(rng), year(rng)
    month = rng.choice(MONTHS)
    product = rng.choice(PRODUCTS)
    workers = str(rng.randint(2, 9) * 100 + rng.randint(0, 99))
    members = str(rng.randint(5, 19))
    prof = rng.choice(PROFESSIONS)
    paras = [
        (f"{town} is a small town in the north of {land}. It was founded in {y1} by {founder}, a {prof} "
         f"who built the first mill there. The old mill still stands near the {proper(rng)} gate.",
         [(f"Who founded {town}?", _answers(rng, founder)),
          (f"In what year was {town} founded?", _answers(rng, y1))]),
        (f"The economy of {town} depends on {product}. The largest employer in the town is {firm}, "
         f"which has about {workers} workers. Most families in {town} have worked there for generations.",
         [(f"What is the largest employer in {town}?", _answers(rng, firm)),
          (f"How many workers does {firm} have?", _answers(rng, f"about {workers}", [workers]))]),
        (f"{town} lies on the {river}, a slow river that floods every spring. Every year in {month} the town "
         f"holds the {fest} Fair on its banks. Boats from {proper(rng, 3)} come up the river for the fair.",
         [(f"On which river does {town} lie?", _answers(rng, f"the {river}", [river])),
          (f"In which month is the {fest} Fair held?", _answers(rng, month))]),
        (f"{town} is governed by a council of {members} members led by the mayor {mayor}. The town hall "
         f"was built in {y2}. Its clock tower can be seen from every street.",
         [(f"Who is the mayor of {town}?", _answers(rng, mayor)),
          (f"When was the town hall of {town} built?", _answers(rng, y2))]),
    ]
    return town, paras


def person_article(rng):
    who = person(rng)
    last = who.split()[1]
    town, school, spouse = proper(rng, 3), f"{proper(rng)} College", person(rng)
    y1, y2 = year(rng), year(rng)
    field = rng.choice(FIELDS_OF_STUDY)
    work = f"The {proper(rng)} {rng.choice(['Treatise', 'Atlas', 'Suite', 'Method', 'Codex'])}"
    paras = [
        (f"{who} was born in {y1} in the village of {town}. As a young man {last} studied {field} at {school}. "
         f"Friends remembered {last} as quiet and stubborn.",
         [(f"Where was {who} born?", _answers(rng, town)),
          (f"At which school did {who} study?", _answers(rng, school))]),
        (f"{last} is best known for {work}, which was first printed in {y2} and made the name of its author. "
         f"Copies of it are still kept in the library of {proper(rng, 3)}.",
         [(f"What is {who} best known for?", _answers(rng, work)),
          (f"In what year was {work} first printed?", _answers(rng, y2))]),
        (f"In later life {last} married {spouse} and settled near the coast, where {last} taught {field} "
         f"to the children of the town. {last} died at the age of {rng.randint(50, 95)}.",
         [(f"Whom did {who} marry?", _answers(rng, spouse))]),
    ]
    return who, paras


def ship_article(rng):
    ship = f"{proper(rng)}"
    builder, captain = company(rng), person(rng)
    port, y1 = proper(rng, 3), year(rng)
    length = str(rng.randint(30, 99))
    cargo = rng.choice(PRODUCTS)
    paras = [
        (f"The {ship} was a merchant ship built in {y1} by {builder}. She was {length} meters long and carried "
         f"{cargo} across the northern sea. Her crew numbered about {rng.randint(12, 60)} men.",
         [(f"Who built the {ship}?", _answers(rng, builder)),
          (f"How long was the {ship}?", _answers(rng, f"{length} meters", [length]))]),
        (f"Her first captain was {captain}. The home port of the {ship} was {port}, where she returned every "
         f"winter. She was sold to a buyer from {proper(rng, 3)} in her last years.",
         [(f"Who was the first captain of the {ship}?", _answers(rng, captain)),
          (f"What was the home port of the {ship}?", _answers(rng, port))]),
    ]
    return ship, paras


ARTICLES = [town_article, person_article, ship_article]

RULER_INSTRUCTION = ("Answer the question based on the given documents. Only give me the answer and do not "
                     "output any other words.")


def ruler_input(paragraphs, query):
    """RULER's qa template (lm-eval 0.4.9.1) around documents in the given order."""
    context = "\n\n".join(f"Document {i + 1}:\n{p}" for i, p in enumerate(paragraphs))
    return (f"{RULER_INSTRUCTION}\n\nThe following are given documents.\n\n{context}\n\n{RULER_INSTRUCTION}"
            f"\n\nQuestion: {query}")


def ruler_prompt(paragraphs, query):
    """What the model sees: the input, then " Answer:"."""
    return ruler_input(paragraphs, query) + " Answer:"


# -------------------------------------------------------------------------------------------------
# Training documents. Each function returns one document (a string); the trainer appends the
# end-of-text token after it and packs documents into 1024-token sequences.
# -------------------------------------------------------------------------------------------------

def script_text(rng, label, steps, actor, upto=None):
    """`label: Actor step0. Connective pronoun step1. ...` — the hellaswag context layout."""
    pronoun = rng.choice(SUBJECTS)[1]
    out = [sentence(actor + " ", steps[0])]
    for s in steps[1:upto]:
        out.append(sentence(rng.choice(CONNECTIVES) + pronoun + " ", s))
    return f"{label}: " + " ".join(out)


def feeding_steps(world, a):
    n = a["name"]
    return [f"walks out to the barn to feed the {n}.", "opens the feed bin.", f"fills the bowl with {a['food']}.",
            f"sets the bowl down and the {n} starts to eat."]


def train_fact_doc(world, rng):
    """A few facts about one animal (every animal), in random wordings and order."""
    a = world.animals[rng.randrange(len(world.animals))]
    f = fields(world, a)
    attrs = rng.sample(list(FACT_TEMPLATES), rng.randint(2, 4))
    sents = [rng.choice(FACT_TEMPLATES[x]).format(**f) for x in attrs]
    if rng.random() < 0.3:
        kind_attr = rng.choice(list(KIND_TEMPLATES))
        sents.append(rng.choice(KIND_TEMPLATES[kind_attr]).format(**kind_fields(a["kind"])))
    return " ".join(sents)


def kind_fields(k):
    s, p, h, m, v = KINDS[k]
    return dict(k=s, kp=p, Kp=p.capitalize(), ak=an(s), Ak=an(s).capitalize(), h=h, m=m, v=v)


def train_kind_doc(world, rng):
    k = rng.randrange(len(KINDS))
    attrs = list(KIND_TEMPLATES)
    rng.shuffle(attrs)
    return " ".join(rng.choice(KIND_TEMPLATES[x]).format(**kind_fields(k)) for x in attrs)


def train_qa_doc(world, rng):
    """An ARC-format question with its answer, about an animal of the training QA split only."""
    if rng.random() < 0.15:
        q, choices, gold = which_question(world, rng, rng.choice(list(WHICH_QUESTIONS)), world.qa_train)
    else:
        a = world.animals[rng.choice(world.qa_train)]
        q, choices, gold = arc_question(world, rng, a, rng.choice(list(QUESTIONS)))
    return arc_prompt(q) + " " + choices[gold]


def train_script_doc(world, rng):
    label, steps = rng.choice(SCRIPTS)
    return script_text(rng, label, steps, rng.choice(TRAIN_ACTORS), upto=rng.choice((None, None, 4, 5)))


def train_feeding_doc(world, rng):
    a = world.animals[rng.choice(world.qa_train)]
    return script_text(rng, FEEDING_LABEL, feeding_steps(world, a), rng.choice(TRAIN_ACTORS))


SHORT_DOCS = [(train_fact_doc, 0.36), (train_kind_doc, 0.04), (train_qa_doc, 0.30), (train_script_doc, 0.2),
              (train_feeding_doc, 0.1)]


def short_doc(world, rng):
    x = rng.random()
    for fn, p in SHORT_DOCS:
        if x < p:
            return fn(world, rng)
        x -= p
    return SHORT_DOCS[-1][0](world, rng)


def with_queries(rng, doc, pairs, n):
    """The document, then n of its keys with their values: the first in the evaluation layout
    (" \\n key: value\\n"), the others as "key: value\\n". Returns (text, answer character spans)."""
    text, spans = doc + " \n ", []
    for k, v in rng.sample(pairs, min(n, len(pairs))):
        text += f"{k}: "
        spans.append((len(text), len(text) + len(v)))
        text += v + "\n"
    return text, spans


# Sizes: `size` in [0, 1] scales a document from about 250 to about 1000 tokens of the demo tokenizer.
def train_fda_doc(world, rng, size):
    doc, pairs = fda_document(rng, rng.randint(6, 9), int(2 + size * 32))
    return with_queries(rng, doc, pairs, rng.randint(3, 7))


def train_swde_doc(world, rng, size):
    doc, pairs = swde_document(rng, rng.choice(list(SWDE_VERTICALS)), rng.randint(4, 6), int(size * 60))
    return with_queries(rng, doc, pairs, rng.randint(3, 5))


def train_kv_doc(world, rng, size):
    """A phone list: pure in-context association of random keys and values."""
    n = int(8 + size * 38)
    pairs = [(person(rng), f"{digits(rng, 3)}-{digits(rng, 4)}") for _ in range(n)]
    head = f"Phone list of the {proper(rng, 3)} office:\n" + "\n".join(f"{k}: {v}" for k, v in pairs)
    return with_queries(rng, head + "\n" + filler(rng, SWDE_FILLER, 3), pairs, rng.randint(4, 10))


def train_ruler_doc(world, rng, size):
    """A RULER-style haystack: the gold paragraph, the rest of its article and paragraphs of other
    articles, in random order (the evaluation's order is fixed; training must not rely on it)."""
    title, paras = rng.choice(ARTICLES)(rng)
    gi = rng.randrange(len(paras))
    q, answers = rng.choice(paras[gi][1])
    docs = [p for p, _ in paras]
    target = int(2 + size * 11)
    while len(docs) < target:
        _, other = rng.choice(ARTICLES)(rng)
        docs.append(rng.choice(other)[0])
    rng.shuffle(docs)
    text = ruler_prompt(docs, q) + " "
    return text + answers[0], [(len(text), len(text) + len(answers[0]))]


LONG_DOCS = [(train_ruler_doc, 0.34), (train_fda_doc, 0.25), (train_swde_doc, 0.25), (train_kv_doc, 0.16)]


def long_doc(world, rng, size):
    """(generator name, text, answer spans) of one retrieval document."""
    x = rng.random()
    for fn, p in LONG_DOCS:
        if x < p:
            break
        x -= p
    return (fn.__name__,) + fn(world, rng, size)


# -------------------------------------------------------------------------------------------------
# Evaluation rows (HF row schemas of docs/data.md), from held-out parts of the world
# -------------------------------------------------------------------------------------------------

LABELS = ["A", "B", "C", "D"]


def hellaswag_rows(world, rng, n):
    rows = []
    for i in range(n):
        actor = rng.choice(HELD_ACTORS)
        pronoun = rng.choice(SUBJECTS)[1]
        if i % 3 == 2:
            # knowledge inside an everyday script: what does this (held-out) animal eat?
            a = world.animals[rng.choice(world.qa_held)]
            steps = feeding_steps(world, a)
            ctx_a = " ".join([sentence(actor + " ", steps[0]), sentence(rng.choice(CONNECTIVES) + pronoun + " ",
                                                                          steps[1])])
            ctx_b = rng.choice(CONNECTIVES) + pronoun + " fills the bowl with"
            gold = a["food"] + "."
            endings = [gold] + [f + "." for f in rng.sample([f for f in FOODS if f != a["food"]], 3)]
            label = FEEDING_LABEL
        else:
            si = rng.randrange(len(SCRIPTS))
            label, steps = SCRIPTS[si]
            k = rng.randint(1, len(steps) - 1)
            sents = [sentence(actor + " ", steps[0])]
            sents += [sentence(rng.choice(CONNECTIVES) + pronoun + " ", s) for s in steps[1:k]]
            ctx_a = " ".join(sents)
            ctx_b = rng.choice(CONNECTIVES) + pronoun
            gold = steps[k]
            same = [s for j, s in enumerate(steps) if j != k and j != k - 1]
            other = [s for j, (_, st) in enumerate(SCRIPTS) if j != si for s in st]
            endings = [gold, rng.choice(same)] + rng.sample(other, 2)
        order = list(range(4))
        rng.shuffle(order)
        endings = [endings[j] for j in order]
        rows.append(dict(ind=i, activity_label=label, ctx_a=ctx_a, ctx_b=ctx_b, ctx=f"{ctx_a} {ctx_b}",
                         endings=endings, source_id=f"halo-demo~{i}", split="val", split_type="indomain",
                         label=str(order.index(0))))
    return rows


def arc_row(name, i, question, choices, gold):
    return dict(id=f"{name}_{i}", question=question, choices=dict(text=choices, label=LABELS[:len(choices)]),
                answerKey=LABELS[gold])


def arc_easy_rows(world, rng, n):
    """One-hop facts (kind, colour, food, homeland) of animals never asked about in training."""
    combos = [(a, attr) for a in world.qa_held for attr in ("kind", "color", "food", "land")]
    rng.shuffle(combos)
    rows = []
    for i in range(n):
        a, attr = combos[i % len(combos)]
        rows.append(arc_row("arc_easy", i, *arc_question(world, rng, world.animals[a], attr)))
    return rows


def arc_challenge_rows(world, rng, n):
    """Two hops (animal → kind → habitat, movement, covering) and 'which of these' questions."""
    combos = [(a, attr) for a in world.qa_held for attr in ("habitat", "movement", "covering")]
    rng.shuffle(combos)
    rows = []
    for i in range(n):
        if i % 4 == 3:
            q = which_question(world, rng, rng.choice(list(WHICH_QUESTIONS)), world.qa_held)
        else:
            a, attr = combos[i % len(combos)]
            q = arc_question(world, rng, world.animals[a], attr)
        rows.append(arc_row("arc_challenge", i, *q))
    return rows


# Character caps that keep an fda/swde prompt under about 900 tokens of the demo tokenizer (at worst 2.9
# and 2.6 characters per token on these documents), so prompt + 48 generated tokens fit in 1024.
BASED_MAX_CHARS = {"fda": 2500, "swde": 2200}


def based_rows(rng, task, n):
    """fda / swde rows: held-out filler sentences, fresh values, one key asked per document."""
    rows = []
    while len(rows) < n:
        i = len(rows)
        if task == "fda":
            doc, pairs = fda_document(rng, rng.randint(6, 9), rng.randint(4, 24), held=True)
            name = f"K{digits(rng, 6)}.txt"
        else:
            vertical = rng.choice(list(SWDE_VERTICALS))
            doc, pairs = swde_document(rng, vertical, rng.randint(4, 6), rng.randint(10, 40), held=True)
            name = f"{vertical}-{proper(rng)}-{i:04d}.htm"
        key, value = rng.choice(pairs)
        text = based_prompt(doc, key)
        if len(text) <= BASED_MAX_CHARS[task]:
            rows.append(dict(doc_id=str(i), file_name=name, key=key, value=value, text=text))
    return rows


def squad_file(rng, min_questions):
    """A SQuAD v2.0-shaped file whose paragraphs RULER's haystacks are built from (fresh names and
    values); one unanswerable question per article, as SQuAD v2 has them."""
    data, seen, answerable = [], set(), 0
    while answerable < min_questions:
        title, paras = rng.choice(ARTICLES)(rng)
        if any(p in seen for p, _ in paras):
            continue
        out = []
        for pi, (text, qas) in enumerate(paras):
            seen.add(text)
            qs = []
            for qi, (q, answers) in enumerate(qas):
                qs.append(dict(question=q, id=f"{len(data):03d}{pi}{qi}",
                               answers=[dict(text=t, answer_start=text.find(t)) for t in answers],
                               is_impossible=False))
                answerable += 1
            out.append(dict(context=text, qas=qs))
        fake = proper(rng, 2)
        out[0]["qas"].append(dict(question=f"Who founded {fake}?", id=f"{len(data):03d}x", answers=[],
                                  plausible_answers=[dict(text=title, answer_start=0)], is_impossible=True))
        data.append(dict(title=title.replace(" ", "_"), paragraphs=out))
    return dict(version="v2.0", data=data)
