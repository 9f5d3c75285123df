"""Prose in French, Chinese and Uyghur for bench/gen.py's mixed-language collections (--languages mixed).

Not lorem ipsum: French words of the news about the region (a fixed list written for the benchmark,
with their inflections), a Chinese vocabulary of 3,000 two- to four-character words drawn once from
common characters (Chinese text has no spaces: a sentence is its words run together, clauses cut by
，and ending in 。), and Uyghur words in Arabic script, stems with the case and plural suffixes the
language adds (every letter Uyghur adds to the Arabic alphabet occurs). Words are drawn with Zipf's
law, as in real text, so that a few are very frequent and most are rare.
"""
import random

FRENCH = """le la les un une des du de et à en dans sur pour par avec sans sous entre contre vers selon
depuis pendant avant après mais ou donc car que qui dont où ne pas plus très aussi encore déjà toujours
ministre ministère gouvernement affaires étrangères Europe France Chine Xinjiang région province ville
village frontière camp camps détention politique politiques droits droit homme femmes enfants famille
familles liberté presse journaliste journalistes témoin témoins preuve preuves document documents
témoignage responsable responsables porte-parole délégation mission bureau agence sécurité police armée
travail forcé usine usines ouvrier ouvriers école écoles langue religion mosquée communauté minorité
minorités population enquête données chiffre chiffres estimation million millions mille année années
mois semaine jour jours matin soir récemment plus tard cependant toutefois également seulement jamais
souvent plusieurs nombreux nombreuses autres même nouveau nouvelle ancien ancienne actuel public publique
national nationale international internationale local régional étranger économique sociale juridique
culturel historique grave importante majeure claire forte ouverte fermée libre massive systématique
arbitraire illégale présumée signalée confirmée démentie adoptée rejetée signée publiée annoncée déclaré
déclaration déclarations dénoncé dénonce condamné condamne rappelé rappelle souligné souligne exprimé
demandé exigé salué critiqué défendu examiné visité rencontré reçu envoyé écrit dit fait vu entendu
assemblée conseil comité tribunal loi projet vote résolution session séance rapport rapports archives
sanctions négociations accord traité convention entretien lettre pétition audience procès avocat juge
élection campagne parti mouvement manifestation foule place rue bâtiment hôpital université étudiant
étudiants enseignant chercheur chercheuse écrivain artiste histoire mémoire question réponse version
détail contexte source sources erreur affirmation fait faits vérité Ouïghours ouïghour ouïghoure
Kazakhs tibétains génocide crimes contre l’humanité répression surveillance stérilisation internement
rééducation transfert main-d’œuvre coton tomates panneaux solaires chaîne approvisionnement entreprises
l’État d’après aujourd’hui qu’il qu’elle n’est c’est l’homme l’Union l’ONU""".split()  # noqa: SIM905

# common characters of news Chinese; the vocabulary's words are drawn from them
HAN = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
       "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
       "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命"
       "此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求"
       "老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质信"
       "疆维吾尔族新宗教权人群众稳定发展经济社会安全反恐极端培训中心工作报告外交发言记者表示所谓事实真相舆论")
UYGHUR_STEMS = """ئۇيغۇر ئادەم خەلق ئائىلە بالا ئانا ئاتا مەكتەپ ئوقۇغۇچى ئوقۇتقۇچى كىتاب گېزىت ژۇرنال خەۋەر
ھۆكۈمەت دۆلەت شەھەر يېزا ئۆي ئىش ئىشچى زاۋۇت تىل دىن مەسچىت ھەق ھوقۇق ئەركىنلىك قانۇن سوت
گۇۋاھچى ھۆججەت دوكلات مەلۇمات سان يىل ئاي كۈن ئەتىگەن كەچ بۈگۈن تۈنۈگۈن ئەتە ۋەتەن مىللەت
مەدەنىيەت تارىخ ئەدەبىيات شېئىر ناخشا مۇزىكا رەسىم پىكىر سۆز جاۋاب سوئال ھېكايە چاي نان
ئاش پاختا توقۇمىچىلىق لاگېر تۈرمە ساقچى ئەسكەر چېگرا يول دەريا تاغ چۆل باغ دېھقان سودا
بازار دوست قېرىنداش ياشلار مۇھاجىر چەتئەل ئۈرۈمچى قەشقەر خوتەن غۇلجا تۇرپان ئاقسۇ""".split()  # noqa: SIM905
UYGHUR_SUFFIXES = ["", "", "", "لار", "لەر", "نىڭ", "نى", "غا", "گە", "دا", "دە", "دىن", "تىن", "ىمىز", "لىرى",
                   "لىق", "چە", "مۇ", "دىكى", "لاردا"]
UYGHUR_WORDS = """ۋە بىلەن ئۈچۈن ھەققىدە ھەم بولسا ئەمما يەنە ناھايىتى بەك كۆپ ئاز ھەممە بىر ئىككى ئۈچ
بار يوق بولدى قىلدى دېدى ئېيتتى يازدى كۆردى ئاڭلىدى كەلدى كەتتى بەردى ئالدى باشلىدى
ئېلان قىلىندى تۇتۇلدى قويۇپ بېرىلدى يېڭى كونا چوڭ كىچىك ياخشى يامان گۈزەل مۇھىم
ئوچۇق يېپىق ئەركىن مەجبۇرىي ئاممىۋى""".split()  # noqa: SIM905


def _zipf(rng, n, s=1.05):
    """Weights 1/k^s for a vocabulary of n words in a shuffled order (seeded): Zipf's law."""
    weights = [1 / (k + 1) ** s for k in range(n)]
    rng.shuffle(weights)
    return weights


def _chinese_vocabulary():
    rng = random.Random(17)
    words = set()
    while len(words) < 3000:
        n = rng.choices([2, 3, 4], [80, 15, 5])[0]
        words.add("".join(rng.choice(HAN) for _ in range(n)))
    return sorted(words)


CHINESE = _chinese_vocabulary()
UYGHUR = sorted({stem + suffix for stem in UYGHUR_STEMS for suffix in UYGHUR_SUFFIXES}) + UYGHUR_WORDS
_WEIGHTS = {}


def _words(lang, rng, k):
    vocab = {"fr": FRENCH, "zh": CHINESE, "ug": UYGHUR}[lang]
    if lang not in _WEIGHTS:
        _WEIGHTS[lang] = _zipf(random.Random(len(vocab)), len(vocab))
    return rng.choices(vocab, _WEIGHTS[lang], k=k)


def sentence(lang, rng):
    """One sentence of 8-20 words in lang ("fr", "zh" or "ug"), with its punctuation."""
    words = _words(lang, rng, rng.randint(8, 20))
    if lang == "zh":
        cut = sorted(rng.sample(range(2, len(words) - 1), 2))
        return "".join(words[:cut[0]]) + "，" + "".join(words[cut[0]:cut[1]]) + "，" + "".join(words[cut[1]:]) + "。"
    if lang == "fr":
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice([".", ".", ".", " ?", " !"])
    return " ".join(words) + rng.choice([".", ".", "؟", "!"])


def title(lang, rng):
    words = _words(lang, rng, rng.randint(4, 8))
    return "".join(words) if lang == "zh" else " ".join(words)
