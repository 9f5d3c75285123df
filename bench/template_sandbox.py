"""The cost of rendering templates in the sandbox: the article page, rendered with three environments in turns.

    python bench/template_sandbox.py [--articles 1000] [--passes 6] [--seed 1] [--root COLLECTION]

Loads the synthetic collection of bench/gen.py (or --root), runs ``pipeline.process_article`` once per
article to capture each article page's context, then renders ``article.html`` for every article with a plain
``jinja2.Environment``, Jinja's ``ImmutableSandboxedEnvironment`` and ``apparatus.sandbox.Sandbox`` (the
same, its attribute check remembered per type and name), one after the other, the order turning each pass, so
that the machine's load falls on all three alike. Reported: median and best ms per article of each.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
import builds  # noqa: E402  (bench/builds.py)
import gen  # noqa: E402  (bench/gen.py)

from apparatus import pipeline, templates  # noqa: E402
from apparatus.sandbox import Sandbox  # noqa: E402


def contexts(c: pipeline.Collection) -> list[dict]:
    """The article pages' contexts, as process_article passes them."""
    found = []
    real = templates.render

    def capture(env, name, **context):
        if name == "article.html":
            found.append(context)
        return real(env, name, **context)
    pipeline.templates.render = capture
    try:
        for slug in c.slugs:
            pipeline.process_article(c, slug)
    finally:
        pipeline.templates.render = real
    return found


def measure(root: Path, passes: int) -> dict[str, list[float]]:
    c, diags = pipeline.load_collection(root)
    assert c is not None, diags
    pages = contexts(c)
    envs = {}
    for label, cls in (("plain Environment", jinja2.Environment), ("ImmutableSandboxedEnvironment",
                       ImmutableSandboxedEnvironment), ("Sandbox (remembered checks)", Sandbox)):
        templates.Sandbox = cls
        envs[label] = templates.environment(root, c.env.globals["site"])[0].get_template("article.html")
    templates.Sandbox = Sandbox
    spent: dict[str, list[float]] = {label: [] for label in envs}
    for n in range(passes):
        order = list(envs)[n % 3:] + list(envs)[:n % 3]
        for label in order:
            start = time.perf_counter()
            for context in pages:
                envs[label].render(**context)
            spent[label].append((time.perf_counter() - start) * 1000 / len(pages))
    return spent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--passes", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", type=Path, help="measure this collection instead of generating one")
    args = ap.parse_args(argv)
    if args.root is not None:
        spent = measure(args.root, args.passes)
    else:
        with builds.workspace(None, "apparatus-sandbox-", [str(args.articles)], 0) as workdir:
            root = workdir / str(args.articles)
            gen.generate(root, args.articles, args.seed)
            spent = measure(root, args.passes)
    plain = statistics.median(spent["plain Environment"])
    print(f"article.html, ms per article, {args.passes} passes in turns:")
    for label, values in spent.items():
        median = statistics.median(values)
        print(f"  {label:32} median {median:6.3f}  best {min(values):6.3f}  ({median / plain:.2f} x plain)")


if __name__ == "__main__":
    main()
