"""The files a run writes: checked before it runs, written whole at its end, or not at all.

Every output (``--trace-out FILE``, ``--svg FILE``, ``--out DIR`` with its postmortems and
regression cases) is a :class:`Outputs` entry, checked when it is named, before anything
runs: not a directory where a file is meant, not a symbolic link, a FIFO or a device, not
the scenario or one of its bases, in a folder that exists and takes a new file, and not
already there unless ``--force`` says to replace it (an empty regular file, as ``mktemp``
makes, holds nothing to lose and is replaced without it). Each file is written to a new,
uniquely named temporary file beside its target (created with ``O_EXCL | O_NOFOLLOW``,
inside ``--out`` through directory handles opened with ``O_NOFOLLOW``, so no planted link
is ever followed), then every file is renamed into place together: if any step fails,
the temporary files are removed, the files already renamed are put back as they were,
and the message says what failed. A rename replaces a link at the target; it never
writes through one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from typing import IO

from bus.text import printable

__all__ = ["OutputError", "Outputs"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW


class OutputError(ValueError):
    """An output that cannot be written; the message is the one line the user sees."""


def _show(path: str) -> str:
    return printable(path)


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for a message (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link (outputs never follow links: name the real file, or remove the link)"
    if stat.S_ISDIR(mode):
        return "a directory (name a file)"
    if stat.S_ISFIFO(mode):
        return "a FIFO (outputs are regular files: name one)"
    if stat.S_ISSOCK(mode):
        return "a socket (outputs are regular files: name one)"
    return "a device (outputs are regular files: name one)"


def _open_below(parent: int, name: str, made: list[tuple[int, str]]) -> int:
    """A handle on the folder *name* in *parent*, made if missing (noted in *made*), opened
    with ``O_NOFOLLOW``: a link there is an error, never followed."""
    try:
        os.mkdir(name, dir_fd=parent)
        made.append((parent, name))
    except FileExistsError:
        pass
    return os.open(name, _DIR_FLAGS, dir_fd=parent)


@dataclass
class _Staged:
    """One file on its way: the folder (a path, then the chain of folders below it that
    --out creates), its name there, and its temporary name once written."""

    flag: str
    folder: str
    below: tuple[str, ...]
    name: str
    text: str | None = None
    temp: str | None = None
    stream: IO[str] | None = None
    shown: str = ""
    error: str | None = None


@dataclass
class Outputs:
    """The outputs of one run (see the module's docstring)."""

    force: bool = False
    #: Real paths of the files no output may replace (the scenario and its bases).
    protected: list[str] = field(default_factory=list)
    _files: list[_Staged] = field(default_factory=list)
    #: normalised absolute path -> the flag whose file it is
    _targets: dict[str, str] = field(default_factory=dict)
    _by_flag: dict[str, _Staged] = field(default_factory=dict)
    _by_path: dict[str, _Staged] = field(default_factory=dict)
    _out: str | None = None

    # --- before the run ----------------------------------------------------------------

    def file(self, flag: str, path: str) -> None:
        """Check *path* as the target of *flag*; raise :class:`OutputError` if it is unfit."""
        if not path:
            raise OutputError(f"{flag}: give a file name")
        shown = _show(path)
        if path.endswith(("/", os.sep)):
            raise OutputError(f"{flag} {shown}: names a folder (name a file)")
        folder = os.path.dirname(os.path.abspath(path))
        self._check_target(flag, path, shown)
        self._check_folder(flag, folder, shown)
        staged = _Staged(flag, folder, (), os.path.basename(path), shown=path)
        self._files.append(staged)
        self._by_flag[flag] = staged

    def folder(self, flag: str, path: str) -> None:
        """Check *path* as the folder of *flag* (``--out``): it exists as a real folder, or
        its parent does and takes a new folder; what the run writes there is checked too."""
        if not path:
            raise OutputError(f"{flag}: give a folder name")
        shown = _show(path)
        if ".." in path.replace("\\", "/").split("/"):
            raise OutputError(f"{flag} {shown}: climbs out of the working folder with '..' (name a folder below it)")
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            parent = os.path.dirname(os.path.abspath(path))
            self._check_folder(flag, parent, shown)
        except OSError as exc:
            raise OutputError(f"{flag} {shown}: cannot be used ({exc.strerror})") from None
        else:
            if stat.S_ISLNK(info.st_mode):
                raise OutputError(
                    f"{flag} {shown}: is a symbolic link (outputs never follow links: name the real folder)"
                )
            if not stat.S_ISDIR(info.st_mode):
                raise OutputError(f"{flag} {shown}: is a file, not a folder (name a folder)")
            self._check_folder(flag, os.path.abspath(path), shown)
        self._out = path

    def out_folder(self, *parts: str) -> None:
        """Check a folder the run will write in under ``--out``: a real folder if it exists."""
        assert self._out is not None, "out_folder() needs folder() first"
        for depth in range(1, len(parts) + 1):
            here = os.path.join(self._out, *parts[:depth])
            with contextlib.suppress(FileNotFoundError):
                mode = os.lstat(here).st_mode
                if not stat.S_ISDIR(mode):
                    raise OutputError(f"--out {_show(self._out)}: {_show(here)} is {_kind(mode)}")

    def out_file(self, *parts: str) -> None:
        """Check a file the run will write under ``--out`` (e.g. ``postmortems``, ``INC-001.md``)."""
        assert self._out is not None, "out_file() needs folder() first"
        path = os.path.join(self._out, *parts)
        shown = _show(path)
        self.out_folder(*parts[:-1])  # nothing on the way may be a link, or anything but a folder
        self._check_target("--out", path, shown)
        staged = _Staged("--out", os.path.abspath(self._out), parts[:-1], parts[-1], shown=path)
        self._files.append(staged)
        self._by_path[_key(path)] = staged

    def _check_target(self, flag: str, path: str, shown: str) -> None:
        key = _key(path)
        other = self._targets.get(key)
        if other is not None:
            raise OutputError(f"{flag} {shown}: {other} writes the same file (name another)")
        self._targets[key] = flag
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputError(f"{flag} {shown}: cannot be used ({exc.strerror})") from None
        problem = _kind(info.st_mode)
        if problem is not None:
            raise OutputError(f"{flag} {shown}: is {problem}")
        for i, source in enumerate(self.protected):  # the same file: by path, or by inode (a hard link)
            with contextlib.suppress(OSError):
                same = os.stat(source)
                if (same.st_dev, same.st_ino) == (info.st_dev, info.st_ino):
                    which = "the scenario file" if i == 0 else "a base of the scenario (extends:)"
                    raise OutputError(f"{flag} {shown}: is {which} itself (name another file)")
        if not self.force and info.st_size > 0:  # an empty file (mktemp's) holds nothing to lose
            raise OutputError(f"{flag} {shown}: already exists (use --force to replace it, or name another file)")

    def _check_folder(self, flag: str, folder: str, shown: str) -> None:
        try:
            info = os.stat(folder)
        except OSError:
            raise OutputError(f"{flag} {shown}: the folder {_show(folder)} does not exist (create it first)") from None
        if not stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{flag} {shown}: {_show(folder)} is not a folder")
        probe = os.path.join(folder, f".oncall-sim-probe-{secrets.token_hex(6)}")
        try:
            os.close(os.open(probe, _NEW_FILE, 0o600))
            os.unlink(probe)
        except OSError as exc:
            raise OutputError(
                f"{flag} {shown}: cannot write in the folder {_show(folder)} ({exc.strerror}; choose a writable one)"
            ) from None

    # --- during and after the run ------------------------------------------------------

    def stream(self, flag: str) -> IO[str]:
        """The open temporary file of *flag*'s target, to write while the run goes."""
        staged = self._by_flag[flag]
        fd, name = self._new_temp(staged)
        staged.temp = name
        staged.stream = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return staged.stream

    def put(self, flag: str, text: str, *parts: str) -> None:
        """Give the text of *flag*'s file (of ``--out``'s file *parts*, checked or new)."""
        if parts:
            key = _key(os.path.join(self._out or "", *parts))
            if key not in self._by_path:
                self.out_file(*parts)
            staged = self._by_path[key]
        else:
            staged = self._by_flag[flag]
        staged.text = text

    def failed(self, flag: str, exc: OSError) -> None:
        """Writing *flag*'s stream failed (a full disk): :meth:`commit` will say so and
        write nothing."""
        self._by_flag[flag].error = exc.strerror or str(exc)

    def commit(self) -> list[str]:
        """Write every file given, all or nothing; return their paths. Raises
        :class:`OutputError` (and leaves nothing behind) if any step fails."""
        todo = [s for s in self._files if s.text is not None or s.stream is not None]
        broken = next((s for s in todo if s.error is not None), None)
        if broken is not None:
            self.discard()
            raise OutputError(
                f"{broken.flag} {_show(broken.shown)}: could not be written ({broken.error}); nothing was written"
            )
        made: list[tuple[int, str]] = []  # folders made below --out: (parent handle, name)
        handles: dict[tuple[str, tuple[str, ...]], int] = {}
        done: list[tuple[_Staged, int, str | None]] = []
        try:
            self._stage(todo, handles, made)
            for staged in todo:
                fd = handles[(staged.folder, staged.below)]
                backup = self._replace(staged, fd)
                done.append((staged, fd, backup))
        except OSError as exc:
            self._roll_back(done)
            self.discard()
            for parent, name in reversed(made):
                with contextlib.suppress(OSError):
                    os.rmdir(name, dir_fd=parent)
            raise OutputError(
                f"could not write the outputs ({exc.strerror or exc}{': ' + _show(exc.filename) if exc.filename else ''}); "
                "nothing was written"
            ) from None
        except OutputError:
            self._roll_back(done)
            self.discard()
            raise
        else:
            for _, fd, backup in done:
                if backup is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(backup, dir_fd=fd)
        finally:
            for fd in handles.values():
                os.close(fd)
        return [s.shown for s in todo]

    def _stage(
        self, todo: list[_Staged], handles: dict[tuple[str, tuple[str, ...]], int], made: list[tuple[int, str]]
    ) -> None:
        """Every file whole in its temporary file (streams closed, texts written)."""
        for staged in todo:
            fd = self._folder_handle(staged, handles, made)
            if staged.stream is not None:
                staged.stream.close()
                staged.stream = None
            else:
                tfd, staged.temp = self._new_temp(staged, fd)
                with os.fdopen(tfd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(staged.text or "")

    def discard(self) -> None:
        """Remove every temporary file (an aborted run: nothing is left behind)."""
        for staged in self._files:
            if staged.stream is not None:
                staged.stream.close()
                staged.stream = None
            if staged.temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._temp_path(staged))
                staged.temp = None

    # --- the mechanics -----------------------------------------------------------------

    def _temp_path(self, staged: _Staged) -> str:
        assert staged.temp is not None
        return os.path.join(staged.folder, *staged.below, staged.temp)

    def _new_temp(self, staged: _Staged, dir_fd: int | None = None) -> tuple[int, str]:
        name = f".{staged.name}.{secrets.token_hex(8)}.partial"
        if dir_fd is None:
            return os.open(os.path.join(staged.folder, name), _NEW_FILE, 0o666), name
        return os.open(name, _NEW_FILE, 0o666, dir_fd=dir_fd), name

    def _folder_handle(
        self, staged: _Staged, handles: dict[tuple[str, tuple[str, ...]], int], made: list[tuple[int, str]]
    ) -> int:
        """An open handle on the folder *staged* goes to, made on the way for --out (never
        through a link below --out)."""
        key = (staged.folder, staged.below)
        if key in handles:
            return handles[key]
        top_key = (staged.folder, ())
        if top_key not in handles:
            if staged.flag == "--out":
                parent_key = (os.path.dirname(staged.folder), ("..",))
                if parent_key not in handles:
                    handles[parent_key] = os.open(os.path.dirname(staged.folder), _DIR_FLAGS & ~_NOFOLLOW)
                handles[top_key] = _open_below(handles[parent_key], os.path.basename(staged.folder), made)
            else:  # the folder of --trace-out or --svg: a link to it is the user's own
                handles[top_key] = os.open(staged.folder, _DIR_FLAGS & ~_NOFOLLOW)
        fd = handles[top_key]
        for depth in range(1, len(staged.below) + 1):
            sub_key = (staged.folder, staged.below[:depth])
            if sub_key not in handles:
                handles[sub_key] = _open_below(fd, staged.below[depth - 1], made)
            fd = handles[sub_key]
        return fd

    def _replace(self, staged: _Staged, fd: int) -> str | None:
        """Rename the temporary file over the target; return the backup of what was there."""
        assert staged.temp is not None
        backup = None
        try:
            mode = os.lstat(staged.name, dir_fd=fd).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None:
            problem = _kind(mode)
            empty = problem is None and os.lstat(staged.name, dir_fd=fd).st_size == 0
            if not (self.force or empty) or (problem is not None and not stat.S_ISLNK(mode)):
                raise OutputError(
                    f"{staged.flag} {_show(staged.shown)}: "
                    + (f"is {problem}" if problem else "appeared while the run went (use --force to replace it)")
                    + "; nothing was written"
                )
            backup = f".{staged.name}.{secrets.token_hex(8)}.previous"
            os.link(staged.name, backup, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
        os.replace(staged.temp, staged.name, src_dir_fd=fd, dst_dir_fd=fd)
        staged.temp = None
        return backup

    def _roll_back(self, done: list[tuple[_Staged, int, str | None]]) -> None:
        for staged, fd, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, staged.name, src_dir_fd=fd, dst_dir_fd=fd)
                else:
                    os.unlink(staged.name, dir_fd=fd)
