"""The persistent build cache: what a build made, kept across runs and keyed by the hash of its inputs.

``build`` and ``check`` keep, in ``.apparatus-cache/`` at the collection's root (git ignores it: the folder
holds its own ``.gitignore``), each article's result (summary, diagnostics, the hashes of its output files)
and each collection page's output, keyed by the hash of everything they depend on. The next run re-processes
only what changed and re-renders only the pages whose inputs changed; a run in which nothing changed
touches nothing. ``--no-cache`` builds cold and leaves the cache alone.

**Keys.** A run's *global* key hashes the engine (every file of this package), the versions of its
libraries and of Python, the command and its flags, ``site.yaml`` and every template. An article's key
adds its two files' bytes and its notes' history (the dates git gives them); its result is valid while
the records its notes name (found, missing or faulty) are unchanged too (:func:`records_view`). A
collection page's key hashes its context, the data its template sees (:class:`Fingerprints`); the search
index's, every article's summary with its texts, the registry and lunr.js. The dependency map
(:mod:`apparatus.site`) says which pages an article feeds; the keys decide which of them changed.

**Outputs** are content-addressed: each output file is stored once as ``objects/<sha256>`` and hard-linked
into the staging folder, so an unchanged file costs a link, and the site shares its files with the cache
(edit the sources, never ``_site/`` in place). A run in which no input changed (every file's size, times
and inode, git's HEAD and status, the flags, and the site at the output path still the one this cache
made) replays the last result: its diagnostics, its summary line, and no write.

**State.** A small state file (what a replay reads) names an entries file, which names the parts of its large
dicts (:data:`SPLIT`: the articles' entries, the pages', the objects', the site's files…): files of about
:data:`PART` items each, named by their signature, so that a rebuild writes again only the parts that changed.

**Trust.** The cache is ignored (the run is cold, with a note saying why), never trusted, when: its state
file's magic, format version or SHA-256 do not match; it was written by another engine or for other flags
(its global key differs); git tracks a file in it (a pull request could commit a poisoned cache); it or
its state is a symbolic link; or another run holds it (an exclusive ``flock``: concurrent runs never write
it at the same time; the second runs cold). An object whose size, modification time or inode is not what
was recorded when it was written is not linked: its page is made again.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import hmac
import importlib.metadata
import operator
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from .errors import BuildError
from .outcome import BuildResult
from .output import MARKER, Listed, spare_path, write_file
from .output import listing as listing_of

DIR = ".apparatus-cache"
FORMAT = 7  # of the state, entries and parts files: another is ignored
MAGIC = b"apparatus-cache\n"
LIBRARIES = ("jinja2", "markdown-it-py", "mdurl", "PyYAML", "lunr", "MarkupSafe", "snowballstemmer", "langcodes",
             "language-data", "mdit-py-plugins")  # every library whose output reaches a page, an index or a check

Sig = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: a file unchanged since it was hashed
BlobMeta = tuple[int, int, int]  # size, mtime_ns, inode of an object when it was written


def signing_key() -> bytes:
    """This user's secret for signing the cache's state (HMAC-SHA256), kept outside every collection
    ($XDG_CACHE_HOME/apparatus/key, made on first use): a state file planted in a collection, by a pull
    request or a downloaded copy, is never loaded, whatever git says. CI keeps it with the cache."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "apparatus", "key")
    try:
        with open(path, "rb") as f:
            key = f.read()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = os.urandom(32)
    tmp = f"{path}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    os.replace(tmp, path)
    with open(path, "rb") as f:  # another run may have made one meanwhile: theirs is the one
        return f.read()


def _hash(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


_ENGINE: str | None = None


def engine() -> str:
    """The hash of this package's files and of the libraries' and Python's versions: a new engine never
    reuses an old engine's results."""
    global _ENGINE
    if _ENGINE is None:
        here = Path(__file__).parent
        parts: list[bytes | str] = [str(FORMAT), sys.version]
        for path in sorted(here.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts += [path.relative_to(here).as_posix(), path.read_bytes()]
        for name in LIBRARIES:
            try:
                parts.append(f"{name}=={importlib.metadata.version(name)}")
            except importlib.metadata.PackageNotFoundError:
                parts.append(f"{name} missing")
        _ENGINE = _hash(*parts)
    return _ENGINE


def sig(info: os.stat_result) -> Sig:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


RACY_NS = 100_000_000  # a file's time is the kernel's coarse clock: one changed this soon after a listing may
# show a time from before it, so a file whose time is this close to (or after) the last listing is hashed again
# (as git treats a "racily clean" file): to reuse what the run made of it, and for the next run to replay it

SOURCES = ("content", "annotations", "templates")


@dataclasses.dataclass
class Scan:
    """The collection's source files, as listed and stat-ed at the start of a run."""

    sigs: dict[str, Sig]
    started: int  # time.time_ns() before the listing
    refused: bool  # a file the listing refused (outside the collection, unreadable): no shortcut
    listing: str = ""  # listing()'s hash, taken first ("" when a source is a link, or one was refused)
    walked: dict[str, Any] = dataclasses.field(default_factory=dict)  # folder → what the guarded walk gave

    @classmethod
    def of(cls, root: Path, listed: tuple[int, Listing | None] | None = None) -> Scan:
        """listed: (time.time_ns() before it, listing()) when the run took it already (to see if it may replay).
        The files' signatures are the listing's (a file the guarded walk finds that it did not list: stat-ed)."""
        started, quick = listed if listed is not None else (time.time_ns(), listing(root))
        known = quick.sigs if quick is not None else {}
        # (the listing before the stats: a file changed after it is seen as changed)
        from .sources import walk  # (yaml with it: not needed by a run that replays)

        sigs: dict[str, Sig] = {}
        refused = False
        walked = {}
        for folder in SOURCES:
            files, problems = walked[folder] = walk(root, folder)
            refused = refused or bool(problems)
            for rel in files:
                found = known.get(rel)
                if found is not None:
                    sigs[rel] = found
                    continue
                try:
                    sigs[rel] = sig(os.stat(f"{root}{os.sep}{rel}"))
                except OSError:
                    refused = True
        # the template loader reads any file under templates/, dot-folders too (which the guarded walk skips):
        # each is an input of every page
        for folder, _dirs, names in os.walk(root / "templates"):
            rel = Path(folder).relative_to(root).as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                for name in names:
                    try:
                        sigs[f"{rel}/{name}"] = sig(os.stat(os.path.join(folder, name)))
                    except OSError:
                        refused = True
        try:
            sigs["site.yaml"] = sig(os.stat(root / "site.yaml"))
        except OSError:
            refused = True
        return cls(sigs, started, refused, quick.key if quick is not None and not refused else "", walked)


class Listing(NamedTuple):
    key: str  # the hash of the sources' names, sizes, times and inodes
    newest: int  # the newest modification time among them
    sigs: dict[str, Sig]  # each file's


def listing(root: Path) -> Listing | None:
    """The sources' names, sizes, times and inodes, hashed, and the newest time among them: what a run compares
    with the last run's to know that nothing changed, without the guarded walk (:func:`walk`). None when a
    source is a symbolic link (then only the guarded walk decides)."""
    lines: list[str] = []
    sigs: dict[str, Sig] = {}
    newest = 0
    todo = list(SOURCES)
    while todo:
        rel = todo.pop()
        try:
            with os.scandir(f"{root}{os.sep}{rel}") as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith(".") or rel.startswith("templates"):  # (see Scan.of)
                            todo.append(f"{rel}/{entry.name}")
                        continue
                    info = entry.stat(follow_symlinks=False)
                    newest = max(newest, info.st_mtime_ns)
                    path = f"{rel}/{entry.name}"
                    lines.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}")
                    if stat.S_ISREG(info.st_mode):
                        sigs[path] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        except FileNotFoundError:
            if rel not in SOURCES:
                return None
        except OSError:
            return None
    try:
        info = os.lstat(root / "site.yaml")
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return None
    lines.append(f"site.yaml\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}")
    sigs["site.yaml"] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    lines.sort()
    return Listing(_hash("\n".join(lines)), max(newest, info.st_mtime_ns), sigs)


def marker(output: str) -> tuple[int, int] | None:
    """The identity of a built site: its marker file's inode and time (a new build writes a new one)."""
    try:
        info = os.lstat(os.path.join(output, MARKER))
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns)


class Entry(NamedTuple):
    """An article's cached result. Entries and groups are named tuples, not dataclasses: the entries file holds
    tens of thousands, and a tuple unpickles without the per-object steps a dataclass instance takes (about a
    third of the time to read them; docs/performance.md)."""

    key: str  # the article's key (global key, its files' hashes, its notes' history)
    view: str  # the records its notes name, as the registry had them (records_view)
    cited: tuple[str, ...]  # those record ids (cite keys), found or not
    result: tuple[Any, ...]  # pipeline.ArticleResult's fields after its summary (its page travels as an output)
    summary: bytes  # its summary, pickled (b"" for none), its search texts as their Stored: unpickled each time a
    # page or the index reads it, never held alive (10,000 summaries took 160 MiB, alive and pickled with their texts)
    citations: int  # how many notes the summary holds
    outputs: tuple[tuple[str, str], ...]  # (output path, object hash) of the files it wrote
    summary_key: str  # the hash of its whole summary, texts included: what the search index reads of it
    view_key: str  # the hash of what the collection's templates see of it (site.HIDDEN left out)
    stored: tuple[str, ...] = ()  # objects its result refers to (Stored texts): its Web Annotations first
    texts: str = ""  # the object holding its summary's search texts (site.pack), read only by the index


class Stored(str):
    """In a cached summary, in place of a long text only some pages need (an article's Web Annotations, 84 % of
    an entry's size; its search texts, what is left of the rest): the hash of the object holding it. Read back
    (:meth:`Store.text`, :meth:`Store.read`) only for a page that is rendered again, or by the index; a page's key
    counts it by its article's summary key, not by its bytes."""


class Group(NamedTuple):
    """A collection page, or another set of files made together (the search index, the site's files)."""

    key: str
    outputs: tuple[tuple[str, str], ...]
    webs: tuple[str, ...] = ()  # a page's: the Web Annotations (their objects) its context holds
    kind: int = -1  # a page made by code, with webs: its row of site.PAGES …
    context: dict[str, Any] | None = None  # … and its context, each Web Annotation text in it as its Stored (the
    # values pages share, as the AnnotationCollection's description, are pickled once with the state)


@dataclasses.dataclass
class State:
    """What one kind of run (build, build --no-search, check) left for the next."""

    key: str = ""  # the global key
    engine: str = ""  # engine(): the code and libraries that made it
    output: str | None = None  # the output folder a build wrote (None for a check)
    objects: int = 0  # how many objects the entries record (Store.apart: whether to check them in a child)
    inputs: dict[str, tuple[Sig, str]] = dataclasses.field(default_factory=dict)  # source path → (sig, sha256)
    scanned: int = 0  # time.time_ns() when the inputs were listed: a file changed after it is hashed again
    git: str = ""  # HEAD and the status of annotations/ and content/ (the notes' history)
    articles: dict[str, Entry] = dataclasses.field(default_factory=dict)
    groups: dict[str, Group] = dataclasses.field(default_factory=dict)
    blobs: dict[str, BlobMeta] = dataclasses.field(default_factory=dict)
    site: tuple[int, int] | None = None  # the output's marker (inode, mtime_ns) when this run made the site
    replay: BuildResult | None = None  # the last run's result, when it passed, without its timing
    entries: str = ""  # the SHA-256 of the file holding articles, groups and blobs (read only when needed)
    listing: str = ""  # listing(): the sources as they were when the run started ("" when a source is a link)
    environment: str = ""  # environment(): the APPARATUS_ variables of the run
    assets: str = ""  # with search: the hash of lunr.js and the other files search/ copies (lunrjs.assets)
    manifest: dict[str, str] = dataclasses.field(default_factory=dict)  # the site it made: path → object
    spare: tuple[int, int] | None = None  # the spare's marker (output.Staging): the site before, kept beside
    spare_manifest: dict[str, str] = dataclasses.field(default_factory=dict)  # its files: path → object
    registry: str = ""  # registry_key(): the records as read
    history: dict[str, str] = dataclasses.field(default_factory=dict)  # per article, its notes' history
    order: tuple[str, ...] = dataclasses.field(default_factory=tuple)  # the articles, in the collection's order
    pages: tuple[str, ...] = dataclasses.field(default_factory=tuple)  # the collection pages' URLs, in order
    listed: list[str] = dataclasses.field(default_factory=list)  # the URLs sitemap.xml lists
    compiled: dict[str, bytes] = dataclasses.field(default_factory=dict)  # the templates, compiled (Jinja's buckets)
    parsed: tuple[str, bytes] = dataclasses.field(default_factory=lambda: ("", b""))  # the registry as read and
    # its citations rendered (pipeline.load_collection), pickled, under the hash of what they are made from
    racy: dict[str, str] = dataclasses.field(default_factory=dict)  # the sources whose time was within RACY_NS of
    # the listing (changed just before the run): path → SHA-256 as the run read them, which a replay checks


_FIELDS = {f.name for f in dataclasses.fields(State)}
# what the entries file holds (the state file, the rest: what a replay reads)
ENTRIES = ("inputs", "articles", "groups", "blobs", "manifest", "spare_manifest", "history", "order", "pages",
           "listed", "compiled", "parsed")
_EMPTY: dict[str, Any] = {f.name: f.default_factory for f in dataclasses.fields(State) if f.name in ENTRIES}
# the large dicts among them, kept in parts (files of their own, named by their signature): a run writes again only
# the parts that changed (one note's edit at 10,000 articles rewrote 33 MB of entries, 0.5 s)
SPLIT = ("inputs", "articles", "groups", "blobs", "manifest", "spare_manifest", "history")
CUT_LIKE = {"spare_manifest": "manifest"}  # the spare's files are the last site's: cut as its parts were
PART = 512  # items per part, about (a part grows to twice that before it is cut in two)

Part = list[tuple[str, Any]]  # a part's items, sorted by key


class Store:
    """The cache of one kind of run at a collection: its state, objects and lock."""

    def __init__(self, root: Path, kind: str, folder: Path | None = None):
        self.root, self.kind = root, kind
        self.dir = folder if folder is not None else root / DIR
        self.objects = self.dir / f"objects-{kind}"
        self.state_path = self.dir / f"state-{kind}"
        self.entries_path = self.dir / f"entries-{kind}"
        self.parts = self.dir / f"parts-{kind}"
        self._parts: dict[str, list[tuple[Part, str]]] = {}  # parts loaded or written, by first key: (items, name)
        self._loaded: dict[str, list[tuple[Part, str]]] = {}  # per dict, its parts as loaded, in order
        self.state = State()
        self.note = ""  # why the cache was not used, when it was not
        self._fd: int | None = None
        self._signing: bytes | None = None
        self._entries_loaded = False
        self._froze = False  # load_entries froze this process's objects (gc.freeze): close() unfreezes them
        self.new_blobs: dict[str, BlobMeta] = {}
        self._folders: set[str] = set()  # the objects' folders known to exist
        self.checked: dict[str, BlobMeta | None] | None = None  # the recorded objects a child found changed
        # (apart): each one's meta now, or None (not intact); those it does not name are as recorded

    # --- opening ---------------------------------------------------------------------------------------

    def open(self) -> bool:
        """Take the cache's lock and read its state; False (and self.note says why) when it cannot be used."""
        why = self._refusal()
        if why:
            self.note = why
            return False
        try:
            self.dir.mkdir(exist_ok=True)
            for name, text in ((".gitignore", "# made by Apparatus: never commit the build cache\n*\n"),
                               ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                                "# the Apparatus build cache (https://bford.info/cachedir/)\n")):
                if not os.path.lexists(self.dir / name):
                    (self.dir / name).write_text(text, encoding="utf-8")
            self._fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.close()
                self.note = "another build or check is using the cache; this run is cold"
                return False
        except OSError as exc:
            self.close()
            self.note = f"the cache cannot be opened ({exc.strerror or exc}); this run is cold"
            return False
        self.state = self._read_state()
        return True

    def _refusal(self) -> str:
        if os.path.islink(self.dir):
            return f"{DIR} is a symbolic link; it is not used"
        if self.dir.exists() and not self.dir.is_dir():
            return f"{DIR} is not a folder; it is not used"
        tracked = _tracked(self.root, str(self.dir))
        if tracked:
            return (f"git tracks files in {DIR} ({tracked}): a committed cache is never trusted; "
                    f"this run is cold (git rm -r --cached {DIR})")
        return ""

    def _read(self, path: Path, digest: bytes | None = None) -> Any:
        """The object pickled in one of the cache's files, or None (and self.note says why)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            if digest is not None:
                self.note = "the cache's entries are missing; this run is cold"
            return None
        except OSError as exc:
            self.note = f"the cache cannot be read ({exc.strerror}); this run is cold"
            return None
        head = len(MAGIC) + 4 + 32
        try:
            with os.fdopen(fd, "rb") as f:
                start = f.read(head)
                if (len(start) < head or not start.startswith(MAGIC)
                        or int.from_bytes(start[len(MAGIC):len(MAGIC) + 4], "little") != FORMAT):
                    self.note = "the cache was written by another version of Apparatus, or is damaged; this run is cold"
                    return None
                own = start[len(MAGIC) + 4:]
                h = hmac.new(self._key(), digestmod=hashlib.sha256)
                for block in iter(lambda: f.read(1 << 20), b""):  # in blocks: never the whole file in memory
                    h.update(block)
                if not hmac.compare_digest(h.digest(), own) or (digest is not None and own != digest):
                    self.note = ("the cache is damaged or not this user's (its signature does not match); "
                                 "this run is cold")
                    return None
                f.seek(head)
                try:
                    return pickle.load(f)  # noqa: S301 - our own file: its hash matched and git tracks none of it
                except Exception:  # noqa: BLE001 - a file whose hash matched but that does not load: ignore it
                    self.note = "the cache does not load; this run is cold"
                    return None
        except OSError as exc:
            self.note = f"the cache cannot be read ({exc.strerror}); this run is cold"
            return None

    def _read_state(self) -> State:
        state = self._read(self.state_path)
        if not isinstance(state, State) or vars(state).keys() != _FIELDS:  # (a state of another shape: unused)
            if state is not None:
                self.note = "the cache's state is not one; this run is cold"
            return State()
        return state

    def load_entries(self) -> None:
        """Read what the state's runs made (ENTRIES: articles, pages, objects…): only a run that has to build needs
        them; one that replays reads the small state only. The cycle collector is paused while they load, and they
        are frozen (gc.freeze) until the store is closed (close it: a store left open keeps this process's objects
        out of the collector's passes): 160,000 entries at 10,000 articles, none in a cycle, which
        its passes walked again and again (0.2 s of a rebuild's 2.2 s)."""
        if not self.state.entries or self._entries_loaded:
            return
        self._entries_loaded = True
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._load_entries()
        finally:
            if collecting:
                gc.enable()
        if gc.get_freeze_count() == 0:  # (unless the caller froze its own: then it unfreezes them)
            gc.freeze()
            self._froze = True

    def _load_entries(self) -> None:
        state = self.state
        entries = self._read(self.entries_path, bytes.fromhex(state.entries))
        if not (isinstance(entries, dict) and entries.keys() == set(ENTRIES)):
            if entries is not None:  # (None: _read said why)
                self.note = "the cache's entries are not this version's; this run is cold"
            self.state = State()
            return
        loaded: dict[str, Any] = {}
        read: dict[str, Part] = {}  # each part read, by name: the spare's and the site's are most often the same
        for name, value in entries.items():
            if name in SPLIT:
                parts = self._read_parts(value, read)
                if parts is None:
                    self._parts, self._loaded = {}, {}
                    self.state = State()
                    return
                whole: dict[str, Any] = {}
                for items, digest in parts:
                    whole.update(items)
                    known = self._parts.setdefault(items[0][0], [])
                    if all(d != digest for _, d in known):
                        known.append((items, digest))
                self._loaded[name] = parts
                value = whole
            loaded[name] = value
        for name, value in loaded.items():
            setattr(state, name, value)

    def _write(self, path: Path, value: Any, replace: bool = True) -> str:
        """Pickle value into path (atomically, unless replace is False: the caller renames it), streamed through
        HMAC-SHA256 (never the whole pickle in memory); the digest, also written in the file's header."""
        tmp = f"{path}.{os.getpid()}" if replace else str(path)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w+b") as f:
            f.write(MAGIC + FORMAT.to_bytes(4, "little") + bytes(32))
            hashing = _Hashing(f, self._key())
            pickle.dump(value, hashing, protocol=pickle.HIGHEST_PROTOCOL)
            digest = hashing.sha.digest()
            f.seek(len(MAGIC) + 4)
            f.write(digest)
        if replace:
            os.replace(tmp, path)
        return digest.hex()

    def _key(self) -> bytes:
        if self._signing is None:
            self._signing = signing_key()
        return self._signing

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._froze:
            gc.unfreeze()
            self._froze = False

    # --- objects -----------------------------------------------------------------------------------------

    def _object(self, h: str) -> str:
        return f"{self.objects}{os.sep}{h[:2]}{os.sep}{h[2:]}"

    def put(self, data: bytes) -> str:
        """Store data as an object (once: the name is its hash); its hash."""
        h = hashlib.sha256(data).hexdigest()
        if h in self.new_blobs:
            return h
        path = self._object(h)
        known = self.state.blobs.get(h)
        if known is not None and self._intact(h, known) == known:
            self.new_blobs[h] = known
            return h
        folder = os.path.dirname(path)
        if folder not in self._folders:  # (256 of them: each made or found once, not at each of 75,000 objects)
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        tmp = f"{folder}{os.sep}.{h[2:]}.{os.getpid()}"
        try:
            write_file(tmp, data, 0o644, os.O_NOFOLLOW)
        except FileNotFoundError:  # its folder went away meanwhile
            os.makedirs(folder, exist_ok=True)
            write_file(tmp, data, 0o644, os.O_NOFOLLOW)
        os.replace(tmp, path)  # whole or absent, whatever runs beside us
        info = os.lstat(path)
        self.new_blobs[h] = (info.st_size, info.st_mtime_ns, info.st_ino)
        return h

    def _intact(self, h: str, meta: BlobMeta | None) -> BlobMeta | None:
        """The object's (size, time, inode) if it is still what was written: as recorded, or else (a cache
        restored by CI's tar, a copied folder) if its bytes still hash to its name."""
        try:
            info = os.lstat(self._object(h))
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        now = (info.st_size, info.st_mtime_ns, info.st_ino)
        if now == meta:
            return now
        if meta is not None and info.st_size != meta[0]:
            return None
        try:
            with open(self._object(h), "rb") as f:
                ok = hashlib.sha256(f.read()).hexdigest() == h
        except OSError:
            return None
        return now if ok else None

    def valid(self, outputs: Iterable[tuple[str, str]]) -> bool:
        """Whether every object of these outputs is still as written (and so may be linked)."""
        new, blobs, checked = self.new_blobs, self.state.blobs, self.checked
        for _, h in outputs:
            if h in new:
                continue
            meta = blobs.get(h)
            now = checked.get(h, meta) if checked is not None and meta is not None else self._check(h, meta)
            if now is None:
                return False
            new[h] = now
        return True

    def _check(self, h: str, meta: BlobMeta | None) -> BlobMeta | None:
        """The object's (size, time, inode) if it is intact: meta itself when it is as recorded (the same object:
        the save then finds the objects' records unchanged without comparing them), else :meth:`_intact`'s."""
        try:  # (_intact's usual case, inline: a rebuild checks every object it links)
            info = os.lstat(f"{self.objects}{os.sep}{h[:2]}{os.sep}{h[2:]}")
        except OSError:
            return None
        if (info.st_size, info.st_mtime_ns, info.st_ino) == meta and stat.S_ISREG(info.st_mode):
            return meta
        return self._intact(h, meta)

    def apart(self, output: str | None) -> Callable[..., tuple[str, tuple[int, int], Listed] | None]:
        """Start, in a forked child on the build's other core, two walks a rebuild would otherwise make here after
        reading its entries: checking every recorded object (:meth:`_check`; the child reads the objects' records
        itself: 43,000 system calls at 10,000 articles) and listing the spare site beside the output folder
        (:func:`output.listing`: 33,000 files). The function returned waits for the child: it sets self.checked,
        which :meth:`valid` then takes instead of a system call per object, and returns (the spare's path, its
        marker, its listing) if the spare's marker was the same before and after the listing (the caller uses it
        only if the marker is still that one once it holds the output's lock: a build never changes a spare
        without changing its marker). Only for a state of CHECK_APART objects or more (a fork costs more below);
        if the child fails, each is done here, as without it."""
        if self.state.objects < CHECK_APART or not self.state.entries:
            return lambda stop=False: None
        from .forking import Worker

        spare = str(spare_path(Path(output))) if output is not None else None
        worker = Worker(self)
        sent = worker.send(_apart, spare)

        def wait(stop: bool = False) -> tuple[str, tuple[int, int], Listed] | None:
            """The child's answers (stop: none; the child is stopped, as a run that fails before it needs them
            does: the child holds the cache's lock with this process, which must not outlive the run)."""
            reply = worker.receive() if sent and not stop else None
            worker.close()
            if reply is None or not reply[0]:
                return None
            checked, listed = reply[1]
            if checked is not None:
                self.checked = checked
            return listed
        return wait

    def _read_split(self, name: str) -> dict[str, Any] | None:
        """One large dict of the entries (SPLIT), read alone (in :meth:`apart`'s child); None if it cannot be."""
        entries = self._read(self.entries_path, bytes.fromhex(self.state.entries))
        parts = self._read_parts(entries[name]) if isinstance(entries, dict) and name in entries else None
        if parts is None:
            return None
        whole: dict[str, Any] = {}
        for items, _ in parts:
            whole.update(items)
        return whole

    def _read_parts(self, digests: list[str], read: dict[str, Part] | None = None) -> list[tuple[Part, str]] | None:
        """The parts of one of the entries' large dicts, each (its items, its name); None (and self.note says why)
        if one is missing, damaged or not a part. read: the parts read already, by name: one read for two dicts
        is loaded once, and their items are the same objects (the site's files and the spare's, 64,000 each at
        10,000 articles, mostly the same: 14 MiB held twice)."""
        parts = []
        for digest in digests:
            items = read.get(digest) if read is not None else None
            if items is None:
                items = self._read(self.parts / digest, bytes.fromhex(digest))
                if not isinstance(items, list) or not items:
                    if items is not None:  # (None: _read said why)
                        self.note = "the cache's entries are not this version's; this run is cold"
                    return None
                if read is not None:
                    read[digest] = items
            parts.append((items, digest))
        return parts

    def known_sha(self, rel: str, sig: Sig | None) -> str | None:
        """The SHA-256 the last run recorded for a source file, if the file is as it was then (its signature, and a
        time not within RACY_NS of that run's listing); else None (read and hash it)."""
        known = self.state.inputs.get(rel)
        if sig is not None and known is not None and known[0] == sig and known[1] \
                and sig[1] < self.state.scanned - RACY_NS:
            return known[1]
        return None

    def object_path(self, h: str) -> str:
        return self._object(h)

    def text(self, ref: Stored) -> str:
        """The text a Stored stands for (its object was checked by :meth:`valid` with its article)."""
        with open(self._object(str(ref)), "rb") as f:
            return f.read().decode("utf-8")

    def read(self, h: str) -> bytes | None:
        """Object h's bytes, if they are still those whose hash names it (an article's search texts, which the
        index reads as they are: checked so, as the state's files are by their signature); None if not, or
        unreadable."""
        try:
            with open(self._object(h), "rb") as f:
                data = f.read()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == h else None

    # --- saving ------------------------------------------------------------------------------------------

    def save(self, state: State) -> None:
        """Write the state (atomically), and delete the objects it no longer names that the last state did."""
        state.blobs = {h: self.new_blobs[h] for h in _named(state) if h in self.new_blobs}
        state.objects = len(state.blobs)
        state.racy = {rel: sha for rel, (sig, sha) in state.inputs.items()
                      if sha and sig[1] >= state.scanned - RACY_NS}
        old = set(self.state.blobs)
        # the entries first, then the state naming their hash: a run killed between them leaves a state whose
        # entries do not match, which the next run ignores
        index = {name: self._put(name, getattr(state, name)) if name in SPLIT else getattr(state, name)
                 for name in ENTRIES}
        state.entries = self._write(self.entries_path, index)
        self._write(self.state_path, dataclasses.replace(state, **{name: _EMPTY[name]() for name in ENTRIES}))
        for h in old - set(state.blobs):
            with contextlib.suppress(OSError):  # gone already: the next build does not name it either
                os.unlink(self._object(h))
        named = {digest for name in SPLIT for digest in index[name]}
        with contextlib.suppress(OSError), os.scandir(self.parts) as found:  # (those of a run killed before its
            for entry in found:                                                # state was written, too)
                if entry.name not in named:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
        self.state = state

    def _put(self, name: str, value: dict[str, Any]) -> list[str]:
        """A large dict of the entries, as its parts' names: its items sorted by key, in parts cut where the last
        run's parts began (an item added or removed changes one part). A part the last run had is not written
        again; when few items changed, the others are not even sorted or compared (one note's edit at 10,000
        articles changes a few of 160,000)."""
        parts = self._loaded.get(CUT_LIKE.get(name, name), [])
        firsts = [items[0][0] for items, _ in parts]
        if parts:
            old = getattr(self.state, CUT_LIKE.get(name, name))
            changed = _changed(value, old)
            if len(changed) <= len(value) // 4:
                touched = {max(bisect.bisect_right(firsts, k) - 1, 0) for k in changed}
                names = []
                for i, (items, digest) in enumerate(parts):
                    if i not in touched:
                        names.append(digest)
                        continue
                    keys = {k for k, _ in items if k in value}
                    keys.update(k for k in changed if k in value and max(bisect.bisect_right(firsts, k) - 1, 0) == i)
                    names += self._put_items([(k, value[k]) for k in sorted(keys)], [])
                return names
        return self._put_items(sorted(value.items(), key=_first), firsts)  # (by key alone: faster than pairs)

    def _put_items(self, items: Part, firsts: list[str]) -> list[str]:
        """Sorted items as parts, cut where firsts say, and where a part would hold over twice PART items."""
        cuts = sorted({bisect.bisect_left(items, first, key=_first) for first in firsts} | {0})
        names = []
        for start, end in zip(cuts, [*cuts[1:], len(items)], strict=True):
            while end - start > 2 * PART:
                names.append(self._put_part(items[start:start + PART]))
                start += PART
            if end > start:
                names.append(self._put_part(items[start:end]))
        return names

    def _put_part(self, items: Part) -> str:
        for known, digest in self._parts.get(items[0][0], ()):
            if known == items:
                return digest
        self.parts.mkdir(exist_ok=True)
        tmp = self.parts / f".new.{os.getpid()}"
        digest = self._write(tmp, items, replace=False)
        os.replace(tmp, self.parts / digest)
        self._parts.setdefault(items[0][0], []).append((items, digest))
        return digest


@dataclasses.dataclass
class Begun:
    """A run's start with the cache (:func:`begin`)."""

    store: Store | None  # open (its lock held), or None: the run is cold (note says why)
    note: str
    started: float  # time.perf_counter() at the run's start
    listing: tuple[int, Listing | None] | None = None  # (time.time_ns() before it, listing())
    replayed: BuildResult | None = None  # the last run's result: nothing changed (the store is closed)
    apart: Callable[..., tuple[str, tuple[int, int], Listed] | None] | None = None  # a build's Store.apart, started
    # here, before the engine is imported (the child works while this process imports and reads): wait for it


def begin(root: Path, write: bool, search: bool, strict: bool, folder: Path | None = None,
          started: float | None = None) -> Begun:
    """Open the cache of this kind of run and, when nothing it was made from has changed (and, for a build, the
    site it made is still in place), replay the last run's result: no file is read but the listing, none is
    written, and no module but this one's few is imported (the command line calls this first). Raises
    BuildError for a replayed run with warnings under strict."""
    begun = Begun(None, "", time.perf_counter() if started is None else started)
    store = Store(root, "check" if not write else "build" if search else "build-no-search", folder)
    if not store.open():
        begun.note = store.note
        return begun
    begun.store, begun.note = store, store.note
    begun.listing = (time.time_ns(), listing(root))  # the time first: a file changed after it is seen
    try:
        last = _replayable(store, root, write, begun.listing[1])
    except BaseException:
        store.close()
        raise
    if last is not None:
        store.close()
        begun.store = None
        diags = last.diagnostics
        if strict and diags:
            raise BuildError([dataclasses.replace(d, severity="error") for d in diags], last.drafts)
        begun.replayed = dataclasses.replace(last, seconds=time.perf_counter() - begun.started, unchanged=True,
                                             reused=last.articles)
    elif write:
        begun.apart = store.apart(store.state.output)
    return begun


def _replayable(store: Store, root: Path, write: bool, now: Listing | None) -> BuildResult | None:
    state = store.state
    last = state.replay
    if last is None or not state.listing or state.engine != engine() or state.environment != environment():
        return None
    if now is None or now.key != state.listing:
        return None
    if now.newest >= state.scanned - RACY_NS and not _as_read(root, now, state):
        return None
    if write and (state.output is None or marker(state.output) != state.site):
        return None
    if git_state(root) != state.git:
        return None
    if state.assets:  # a build with search: lunr.js (node_modules) is an input too
        from . import lunrjs

        try:
            if assets_key(lunrjs.assets(root)) != state.assets:
                return None
        except lunrjs.LunrMissing:
            return None
    return last


def _as_read(root: Path, now: Listing, state: State) -> bool:
    """Whether each source whose time is within RACY_NS of the last run's listing (changed just before it: its
    time may not show a change made after the listing) holds what that run read of it: hashed again."""
    for rel, (_size, mtime, _ctime, _ino) in now.sigs.items():
        if mtime >= state.scanned - RACY_NS:
            known = state.racy.get(rel)
            if known is None or _file_sha(root, rel) != known:
                return False
    return True


def _file_sha(root: Path, rel: str) -> str | None:
    """A listed source's SHA-256, read without following a link (None if it cannot be read so)."""
    try:
        with open(os.open(f"{root}{os.sep}{rel}", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def assets_key(assets: dict[str, bytes]) -> str:
    """The files search/ copies (lunr.js, its licence…), as a key."""
    return _hash(*(f"{rel}={hashlib.sha256(data).hexdigest()}" for rel, data in sorted(assets.items())))


class _Hashing:
    """A file that signs what is written to it (HMAC-SHA256)."""

    def __init__(self, f: Any, key: bytes):
        self.f, self.sha = f, hmac.new(key, digestmod=hashlib.sha256)

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return int(self.f.write(data))


_first = operator.itemgetter(0)
CHECK_APART = 5000  # recorded objects from which they are checked in a child process (Store.apart)


Answers = tuple[dict[str, BlobMeta | None] | None, tuple[str, tuple[int, int], Listed] | None]


def _apart(store: Store, spare: str | None) -> Answers:  # pragma: no cover - in the forked child
    """In Store.apart's child: the recorded objects that are not as recorded (each one's meta now if intact, else
    None), and the spare's path, marker and listing."""
    blobs = store._read_split("blobs")
    changed = None
    if blobs is not None:
        changed = {}
        for h, meta in blobs.items():
            now = store._check(h, meta)
            if now != meta:
                changed[h] = now
    listed = None
    if spare is not None:
        before = marker(spare)
        found = listing_of(Path(spare))
        if before is not None and found is not None and marker(spare) == before:
            listed = spare, before, found
    return changed, listed


def _changed(new: dict[str, Any], old: dict[str, Any]) -> set[str]:
    """The keys added, removed or with another value."""
    if new == old:  # (in C, and most often so: the spare's files are the last site's)
        return set()
    get = old.get
    changed = {k for k, v in new.items() if (was := get(k, _NONE)) is not v and was != v}  # (a kept entry: itself)
    changed.update(old.keys() - new.keys())
    return changed


_NONE = object()


def _named(state: State) -> set[str]:
    named = {h for e in state.articles.values() for _, h in e.outputs}
    named.update(h for g in state.groups.values() for h in g.webs)
    named.update(h for e in state.articles.values() for h in e.stored)
    named.update(e.texts for e in state.articles.values() if e.texts)
    named.update(h for g in state.groups.values() for _, h in g.outputs)
    named.update(state.manifest.values())
    return named


def _tracked(root: Path, folder: str) -> str:
    """A file under folder that git tracks, or ""."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", folder], capture_output=True,
                             timeout=30, check=False, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.split(b"\0", 1)[0].decode("utf-8", "replace") if out.returncode == 0 else ""


def environment() -> str:
    """The environment variables the engine reads (APPARATUS_BASE_URL replaces site.yaml's base_url;
    APPARATUS_LUNR_DIR… name where lunr.js is found): a run with other values is not the same run."""
    return _hash(*(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("APPARATUS_")))


def git_state(root: Path) -> str:
    """HEAD and the status of the sources, which the notes' history is made from ("" outside a repository)."""
    try:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-shallow-repository", "-q", "--verify",
                               "HEAD"], capture_output=True, timeout=30, check=False, env=env)
        if head.returncode not in (0, 1):
            return ""
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--no-renames",
                                 "--untracked-files=no", "--", "annotations/", "content/"],
                                capture_output=True, timeout=30, check=False, env=env)
    except (OSError, subprocess.SubprocessError):
        return ""
    return _hash(head.stdout, status.stdout, str(status.returncode))


# --- fingerprints of what the pages see ----------------------------------------------------------------------

class Fingerprints:
    """The hash of a page's context, fast for the objects pages share: each article's summary (and its
    citations), its Web Annotations and each record are hashed by their known keys, and a context's value that
    many pages share (the AnnotationCollection's description) once. A summary is known by the hash of what
    templates see of it (site.HIDDEN left out): a note's wording that shows only in the search index and the
    Web Annotations leaves the pages that list articles as they were."""

    def __init__(self) -> None:
        self.known: dict[int, bytes] = {}  # id() of an object (alive as long as this) → its key
        self.webs: dict[int, str] = {}  # id() of an article's Web Annotations → their object
        self._inner: dict[int, tuple[str, ...]] = {}  # id() of a value hashed once → the webs it holds
        self.touched: list[str] = []  # the webs the last of() met

    def add_summary(self, summary: Any, view_key: str, web_key: str = "") -> None:
        self.known[id(summary)] = view_key.encode("ascii")
        for n, citation in enumerate(summary.citations):
            self.known[id(citation)] = f"{view_key}:{n}".encode("ascii")
        if summary.web_annotations and web_key:  # a Stored or the text itself, as the annotation page's items
            self.known[id(summary.web_annotations)] = f"web:{web_key}".encode("ascii")
            self.webs[id(summary.web_annotations)] = web_key

    def of(self, *values: Any) -> str:
        """The hash of values (a page's context last); self.touched, the Web Annotations among them."""
        self.touched = []
        h = hashlib.sha256()
        for v in values:
            if isinstance(v, dict):  # a page's context: each value that is not a plain one hashed once for all
                h.update(b"d%d:" % len(v))
                for name, item in v.items():
                    self._feed(h, name)
                    if not (isinstance(item, (str, int, float, bool)) or item is None or id(item) in self.known):
                        outer, self.touched = self.touched, []
                        inner = hashlib.sha256()
                        self._feed(inner, item)
                        self.known[id(item)] = inner.hexdigest().encode("ascii")
                        self._inner[id(item)], self.touched = tuple(self.touched), outer
                    self._feed(h, item)
            else:
                self._feed(h, v)
        return h.hexdigest()

    def _feed(self, h: Any, v: Any) -> None:
        known = self.known.get(id(v))
        if known is not None:
            h.update(b"k")
            h.update(known)
            web = self.webs.get(id(v))
            if web is not None:
                self.touched.append(web)
            self.touched += self._inner.get(id(v), ())
        elif isinstance(v, str):
            b = v.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(b))
            h.update(b)
        elif v is None or isinstance(v, (bool, int, float)):
            h.update(f"{type(v).__name__}:{v!r};".encode("ascii"))
        elif isinstance(v, (list, tuple)):
            h.update(b"l%d:" % len(v))
            for item in v:
                self._feed(h, item)
        elif isinstance(v, dict):
            h.update(b"d%d:" % len(v))
            for key, item in v.items():
                self._feed(h, key)
                self._feed(h, item)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            h.update(f"c{type(v).__module__}.{type(v).__qualname__}:".encode())
            for field in dataclasses.fields(v):
                self._feed(h, getattr(v, field.name))
        else:  # anything else: its pickle (slower, and exact)
            b = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
            h.update(b"p%d:" % len(b))
            h.update(b)


def key(*parts: bytes | str) -> str:
    return _hash(*parts)


def records_view(cited: Iterable[str], fingerprints: dict[str, str], faulty: frozenset[str], complete: bool) -> str:
    """What an article's result depends on in the registry: each cite key its notes name, as found (its
    record's hash), missing or faulty, and whether the registry could be read."""
    parts = [str(complete)]
    bad = {k.partition("@")[0] for k in faulty}
    for rid in cited:
        parts.append(f"{rid}={fingerprints.get(rid, '-')}{'!' if rid in bad else ''}")
    return _hash(*parts)


def registry_key(records: dict[str, str], faulty: frozenset[str], complete: bool) -> str:
    """The registry as the pages see it: each record's key, those with errors, whether its list was read."""
    return _hash(*(f"{rid}={k}" for rid, k in sorted(records.items())), *sorted(faulty), str(complete))


def record_keys(registry: dict[str, Any]) -> dict[str, str]:
    return {rid: _hash(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)) for rid, record in registry.items()}
