"""Real video players, as their projects publish them on npm: pinned, checked, cached.

Each is fetched once with ``npm pack`` (npm's own registry settings apply), its tarball
checked against the integrity pinned here (the one npm records in lockfiles), and the files
a page needs unpacked with the license beside them into ``players/`` of the media cache
(``~/.cache/playgate/media``, or ``PLAYGATE_CACHE_DIR``). A missing npm, or a tarball that is not the pinned one, is one
error saying what to do.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playgate.errors import EnvironmentProblem
from playgate.fixtures.generate import default_cache_root

NPM_TIMEOUT_S = 300


@dataclass(frozen=True)
class Player:
    name: str  # as --player names it
    package: str  # on npm
    version: str
    integrity: str  # npm's: sha512-<base64>
    script: str  # the browser bundle inside the package
    license: str = "LICENSE"

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


PLAYERS = {
    "hls": Player(
        "hls",
        "hls.js",
        "1.7.4",
        "sha512-3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg==",
        "dist/hls.min.js",
    ),
    "dash": Player(
        "dash",
        "dashjs",  # the DASH-IF player; npm's "dash.js" is an unrelated package
        "5.2.1",
        "sha512-axcJmLeJCTJMLUfQRErUJB1KOiU5iHF+DMLBc3FKeox1HPYtGUQlC6Xm5Mm6vhBUR3CHHLIPOqw0JDIqMtP+Dw==",
        "dist/modern/umd/dash.all.min.js",
        "LICENSE.md",
    ),
    "shaka": Player(
        "shaka",
        "shaka-player",
        "5.2.12",
        "sha512-vEsuVDI3+oLh+yqpjXexQZlg2XMUBI0VrqatDuKWacPaxAud6Uph5uCowUPLhUgNG5XKWCpoM4l1r8qYzWH+zg==",
        "dist/shaka-player.compiled.js",
    ),
    "mpegts": Player(
        "mpegts",
        "mpegts.js",
        "1.8.2",
        "sha512-cZYMa5muASH55wrS6JK5IGkUqnCA96c0f+WdnW91jIK9s/N6NzjmTQDJNYg9A5u/G2Q5nj2b3w1Zwzze/9guxA==",
        "dist/mpegts.js",
    ),
}


def player_folder(player: Player, cache_root: Path | None = None) -> Path:
    return (cache_root or default_cache_root()) / "players" / f"{player.package}-{player.version}"


def ensure_player(name: str, cache_root: Path | None = None) -> Path:
    """The folder holding the player's script and license, fetched on first use."""
    player = PLAYERS[name]
    folder = player_folder(player, cache_root)
    if (folder / Path(player.script).name).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetching-", dir=folder.parent) as staging:
        tarball = _npm_pack(player, Path(staging))
        _check_integrity(player, tarball)
        unpacked = Path(staging) / "unpacked"
        unpacked.mkdir()
        with tarfile.open(tarball) as archive:
            for member in (player.script, player.license):
                source = archive.extractfile(f"package/{member}")
                if source is None:
                    raise EnvironmentProblem(f"{player.spec} has no {member}: the pinned package changed shape")
                (unpacked / Path(member).name).write_bytes(source.read())
        try:
            unpacked.rename(folder)
        except OSError:  # another process unpacked it first: keep theirs
            if not folder.is_dir():
                raise
    return folder


def _npm_pack(player: Player, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise EnvironmentProblem(
            f"--player {player.name} needs {player.spec} from npm, and npm is not installed: "
            "run `make setup` (or `apt-get install npm`)"
        )
    try:
        done = subprocess.run(
            [npm, "pack", player.spec, "--silent", "--pack-destination", str(into)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            cwd=into,
        )
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(
            f"npm pack {player.spec} took over {NPM_TIMEOUT_S} s: is the registry reachable?"
        ) from None
    tarballs = list(into.glob("*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EnvironmentProblem(f"npm pack {player.spec} failed ({last}): is the npm registry reachable from here?")
    return tarballs[0]


def _check_integrity(player: Player, tarball: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != player.integrity:
        raise EnvironmentProblem(
            f"npm gave a {player.spec} tarball that is not the pinned one (sha512-{digest[:16]}...): "
            "refusing to serve it"
        )


if __name__ == "__main__":  # make setup: every pinned player, fetched once
    for name in PLAYERS:
        print(f"{PLAYERS[name].spec}: {ensure_player(name)}")
