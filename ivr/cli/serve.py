"""`ivr serve`: run the line locally for development, following the edits of data/ and prompts/."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import click
import watchfiles

from ..errors import ConfigError, FlowError

Stamp = frozenset[tuple[str, int, int]]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the line locally for development (no Twilio signature needed without a token); load the flow
    again when a file under data/ or prompts/ changes, keeping the last good one while they are broken."""
    from ..app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # each reload says what changed itself
    try:
        app = create_app(dev=True)
    except (FlowError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    Watcher(app).start()
    click.echo(f"Voice webhook: http://{host}:{port}/voice  (fallback: /voice/fallback)")
    line = app.extensions["ivr"]
    click.echo(f"Following the edits of {line.settings.data_dir} and {line.settings.prompts_dir}")
    app.run(host=host, port=port)


class Watcher:
    """Load the line's flow again when a file of its folders changes (development only: the production
    entry, ivr.wsgi, never starts one). A broken edit keeps the last good flow answering; its problems
    are said on the console and on the keypad page until a good edit clears them."""

    def __init__(self, app, echo: Callable[..., None] = click.echo) -> None:
        settings = app.extensions["ivr"].settings
        self.app, self.echo = app, echo
        self.folders: tuple[Path, ...] = (settings.data_dir, settings.prompts_dir)
        self.stop = threading.Event()
        self.loaded = 0
        self._stamp = stamp(self.folders)  # the files as the line was loaded from them

    def start(self) -> threading.Thread:
        """Watch in a thread of its own, which dies with the server."""
        thread = threading.Thread(target=self.watch, name="ivr-watch", daemon=True)
        thread.start()
        return thread

    def watch(self) -> None:
        """Load the flow again after each batch of changes, until `stop` is set; say so if watching fails
        (a folder removed): the line goes on answering with the flow it has."""
        try:
            self._follow()
        except Exception as exc:  # a thread's exception would otherwise only reach a hook nobody reads
            self.echo(f"No longer following the edits of data/ and prompts/ ({type(exc).__name__}: {exc})", err=True)

    def _follow(self) -> None:
        first = True
        for changes in watchfiles.watch(
            *self.folders, stop_event=self.stop, rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False
        ):
            if first:  # watching from now on: an edit made before it was ready is seen by its stamp
                first = False
                if not changes and stamp(self.folders) == self._stamp:
                    continue
            elif not changes:
                continue
            self.reload(changed(changes))

    def reload(self, changed: Iterable[str] = ()) -> bool:
        """Load and validate the flow again and answer with it; on a problem, keep the line as it is and
        say why. Return whether the flow now answering is the files' own."""
        from ..app import reload
        from ..simulator.keypad import FILES

        what = ", ".join(self._name(path) for path in changed) or "data/ or prompts/"
        try:
            line = reload(self.app)
        except FlowError as exc:
            problems = tuple(str(problem) for problem in exc.problems)
        except ConfigError as exc:
            problems = (str(exc),)
        else:
            self.loaded += 1
            self.app.extensions[FILES] = (self.loaded, ())
            self.echo(
                f"{what} changed: the call flow is valid, the line answers with it "
                f"({line.flow.written} nodes written, {len(line.flow.services)} services)."
            )
            return True
        self.app.extensions[FILES] = (self.loaded, problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        self.echo(
            f"{what} changed: the call flow is NOT valid: {len(problems)} problem(s); "
            f"the line still answers with the last good flow.\n{lines}",
            err=True,
        )
        return False

    def _name(self, path: str) -> str:
        """A changed file as `data/flow.yaml`: its folder's name, then its path inside it."""
        for folder in self.folders:
            if Path(path).is_relative_to(folder):
                return str(Path(folder.name) / Path(path).relative_to(folder))
        return path


def changed(changes: Iterable[tuple[watchfiles.Change, str]]) -> list[str]:
    """The files a batch of changes changed, each once, less those made and removed within it (an
    editor's or a tool's temporary files)."""
    added = {path for change, path in changes if change == watchfiles.Change.added}
    deleted = {path for change, path in changes if change == watchfiles.Change.deleted}
    return sorted({path for _, path in changes} - (added & deleted))


def stamp(folders: Iterable[Path]) -> Stamp:
    """Each file under the folders, with its modification time and size."""
    found = set()
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                info = path.stat()
            except OSError:  # gone meanwhile
                continue
            found.add((str(path), info.st_mtime_ns, info.st_size))
    return frozenset(found)
