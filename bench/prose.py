"""Prose for bench/gen.py: a fixed vocabulary and seeded Markdown paragraphs and notes.

Everything is drawn from the Random passed in, so the same seed gives the same text.
"""
WORDS = """the a of and to in on for with by from at as that this which was were has had have is are be been
not but or its their his her they it we said says report reports council government ministry
minister parliament committee assembly court law bill vote votes resolution session statement
record records people region city province village border camp camps detention policy policies
rights human freedom press journalist journalists witness witnesses evidence document documents
testimony official officials spokesman spokeswoman delegation mission office agency security police
army military labour labor factory factories worker workers family families children school schools
language religion mosque temple church community communities minority minorities population survey
data figure figures number numbers estimate estimates million thousand hundred year years month
months week weeks day days morning evening early late recent recently later before after during
since until while because although however therefore also still only even already again never often
sometimes several many few most some all each every other another same different new old former
current public private national international local regional foreign domestic economic political
social legal cultural historical formal informal independent serious significant major minor broad
narrow clear unclear vague strong weak open closed free forced voluntary mass systematic arbitrary
unlawful lawful alleged reported confirmed denied adopted rejected passed signed published issued
released announced described called named cited quoted noted argued claimed stated explained warned
urged asked demanded condemned welcomed criticised praised defended investigated examined reviewed
visited travelled returned moved built opened expanded reduced increased decreased changed remained
continued began ended followed led held kept gave took made found saw heard told wrote read spoke
met sent received paid lost won owned ran across against among around behind beyond between into
over under within without about above below near far north south east west central river mountain
valley coast harbour road railway bridge market farm field desert winter summer spring autumn water
food trade route crossing archive archives library newspaper broadcast interview letter letters
petition petitions treaty convention agreement negotiation negotiations talks sanctions
investigation inquiry hearing hearings verdict sentence sentences prison prisons charge charges
trial trials lawyer lawyers judge judges election elections campaign campaigns party parties
movement protest protests demonstration crowd crowds square street streets building buildings
hospital university student students teacher teachers scholar scholars writer writers artist
history memory question questions answer answers account accounts version versions detail details
context source sources error errors claim claims fact facts truth quiet careful brief long short""".split()  # noqa: SIM905
NAMES = ["Amara Okafor", "Lena Varga", "Tomas Reyes", "Mei Lin", "Jean-Paul Morel", "Ilse Brandt",
         "Geneva", "Ankara", "Lisbon", "Nairobi", "Oslo", "Kashgar", "Hotan", "Almaty", "Ottawa"]
POSSESSIVES = [w + "’s" for w in ["council", "government", "ministry", "minister", "parliament", "committee",
                                   "court", "region", "city", "village", "agency", "family", "community",
                                   "delegation", "mission", "police", "army"]]
POOL = WORDS + NAMES + POSSESSIVES + ["#"] * 8  # "#" becomes a number


def paragraph(rng):
    """(visible tokens, Markdown line, markup spans [(first, last token)]) for one paragraph."""
    vis, lead, trail, target = [], [], [], rng.randint(60, 90)
    while len(vis) < target:  # one sentence per turn
        start = len(vis)
        for w in rng.choices(POOL, k=rng.randint(8, 20)):
            vis.extend([str(rng.randint(12, 2024))] if w == "#" else w.split())
        vis[start] = vis[start][0].upper() + vis[start][1:]
        lead += [""] * (len(vis) - start)
        trail += [""] * (len(vis) - start)
        for i in rng.sample(range(start + 2, len(vis) - 2), rng.randint(0, 2)):
            trail[i] = ","
        if rng.random() < 0.3:  # a typographic quotation of 2-6 words
            a = rng.randint(start + 1, len(vis) - 3)
            b = min(a + rng.randint(1, 5), len(vis) - 2)
            lead[a], trail[b] = "“", trail[b] + "”"
        trail[-1] = "."
    opens, closes, spans = [""] * len(vis), [""] * len(vis), []
    for _ in range(rng.randint(1, 3)):
        a = rng.randint(1, len(vis) - 5)
        b = a + rng.randint(0, 3)
        if any(a <= y + 1 and x <= b + 1 for x, y in spans):
            continue  # spans neither overlap nor touch
        kind = rng.choice(["*", "**", "link"])
        opens[a], closes[b] = ("[", f"](https://example.org/ref/{rng.randint(1, 999)})") \
            if kind == "link" else (kind, kind)
        spans.append((a, b))
    md = " ".join(lead[i] + opens[i] + vis[i] + closes[i] + trail[i] for i in range(len(vis)))
    return [lead[i] + vis[i] + trail[i] for i in range(len(vis))], md, spans


def norm(s):
    return s.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")


def distinct_note(rng, tag):
    """A note no other note repeats, as a real collection's are: 40-150 words in sentences, with **strong**,
    *emphasis* and a link or two, and in a quarter of them a second paragraph. ``tag`` (the article and the
    note's number) goes into a link, so no two notes are equal even by chance."""
    words, sentences = rng.randint(40, 150), []
    while words > 0:
        k = min(words, rng.randint(8, 22))
        words -= k
        w = rng.choices(WORDS, k=k)
        sentences.append(" ".join(w).capitalize() + ".")
    first = sentences[0].split(" ")
    i = rng.randrange(1, len(first)) if len(first) > 1 else 0
    first[i] = f"**{first[i].rstrip('.')}**" + ("." if first[i].endswith(".") else "")
    sentences[0] = " ".join(first)
    last = sentences[-1].split(" ")
    j = rng.randrange(len(last))
    last[j] = f"*{last[j].rstrip('.')}*" + ("." if last[j].endswith(".") else "")
    sentences[-1] = " ".join(last)
    sentences.insert(rng.randrange(len(sentences) + 1),
                     f"See [the {rng.choice(WORDS)} record](https://example.org/notes/{tag}).")
    if rng.random() < 0.25 and len(sentences) > 3:
        cut = rng.randrange(2, len(sentences) - 1)
        return " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])
    return " ".join(sentences)


def make_notes(rng):
    notes = []
    for i in range(200):
        s = [" ".join(rng.choices(WORDS, k=rng.randint(10, 25))).capitalize() + "."
             for _ in range(rng.randint(1, 3))]
        s[0] = s[0].replace(" ", f" **{rng.choice(WORDS)}** ", 1)
        if i % 3 == 0:
            s.append(f"See [the record](https://example.org/notes/{i}) and *{rng.choice(WORDS)}*.")
        notes.append(" ".join(s) + ("\n\nA second paragraph with *details*." if i % 5 == 0 else ""))
    return notes
