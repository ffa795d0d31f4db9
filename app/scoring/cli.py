"""``pantau scoring ...`` commands (mounted by the main CLI) and the ``pantau score`` stream."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.config import get_settings
from app.scoring.dataset import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from rich.progress import TaskID

    from app.scoring.train import Progress

__all__ = ["score_app"]

score_app = typer.Typer(help="Negative-tendency scorer: train, score.", no_args_is_help=True)


@score_app.command("train")
def train_command(
    data_dir: Annotated[Path, typer.Option(help="Labelled sentiment data.")] = DEFAULT_DATA_DIR,
    labels: Annotated[
        Path | None, typer.Option(help="Analyst labels, JSON lines {text,title,label,targets}.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Artefact directory or stem.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (folds, solvers).")] = 13,
    include_validation: Annotated[
        bool,
        typer.Option(
            help="Train the Indonesian model on the later period of the headlines too (the "
            "shipped model does; the figures on that period then come from a twin without it)."
        ),
    ] = True,
) -> None:
    """Train the models; write the artefact, validation.json and licence copies.

    MODEL_CARD.md is edited by hand from validation.json and the benchmark output.
    """
    from app.scoring.encoder import Encoder
    from app.scoring.release import run_training

    logging.basicConfig(level=logging.INFO)
    Encoder.use_threads(get_settings().encoder_threads_for(one_process=True))
    with _steps() as progress:
        version = run_training(
            data_dir=data_dir,
            labels=labels,
            out=out,
            seed=seed,
            include_validation=include_validation,
            progress=progress,
        )
    typer.echo(version)


@score_app.command("train-tone")
def train_tone_command(
    labels: Annotated[
        Path, typer.Option(help="Reading-made (article, entity) labels (labels/tone-id).")
    ] = Path("labels/tone-id/labels.jsonl"),
    corpus: Annotated[
        Path, typer.Option(help="News corpus holding the labelled articles' text, by id.")
    ] = Path("../shared/data/news/articles.jsonl"),
    analyst: Annotated[
        Path | None, typer.Option(help="Analyst labels (export-labels): Indonesian targets.")
    ] = None,
    artifact: Annotated[Path | None, typer.Option(help="Artefact to start from.")] = None,
    out: Annotated[Path | None, typer.Option(help="Artefact directory or stem.")] = None,
) -> None:
    """Train the Indonesian tone-toward-entity model into the artefact (its other models are
    kept); validation.json gets the figures of a twin trained on the train split alone."""
    from app.scoring.release import run_tone_training

    logging.basicConfig(level=logging.INFO)
    with _steps() as progress:
        version = run_tone_training(
            labels=labels,
            corpus=corpus,
            artifact=artifact,
            out=out,
            analyst=analyst,
            progress=progress,
        )
    typer.echo(version)


@score_app.command("train-informal")
def train_informal_command(
    data_dir: Annotated[
        Path, typer.Option(help="Labelled sentiment data (smsa/, nusax-senti/).")
    ] = DEFAULT_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Artefact directory or stem.")] = None,
) -> None:
    """Train the informal model (social posts) into its own artefact; the news artefact is
    left alone."""
    from app.scoring.informal_train import run_informal_training

    logging.basicConfig(level=logging.INFO)
    with _steps() as progress:
        version = run_informal_training(data_dir=data_dir, out=out, progress=progress)
    typer.echo(version)


@score_app.command("distil")
def distil_command(
    data_dir: Annotated[
        Path, typer.Option(help="Shared data: sentiment/ and news/articles.jsonl.")
    ] = Path("../shared/data"),
    out: Annotated[Path | None, typer.Option(help="Vector table file (.npz).")] = None,
    dims: Annotated[int, typer.Option(help="Dimensions kept by PCA.")] = 64,
) -> None:
    """Distil static word vectors from multilingual-e5-small."""
    from app.scoring.distil import run_distil
    from app.scoring.encoder import Encoder

    logging.basicConfig(level=logging.INFO)
    Encoder.use_threads(get_settings().encoder_threads_for(one_process=False))
    with _steps() as progress:
        path = run_distil(data_dir, out, dims, progress)
    typer.echo(path)


@contextmanager
def _steps() -> Iterator[Progress]:
    """A progress bar per training step on stderr, fed by ``Progress`` callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    columns = (*Bars.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Bars(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bars:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield update


@score_app.command("score")
def score_command(
    artifact: Annotated[Path | None, typer.Option(help="Artefact directory or stem.")] = None,
) -> None:
    """Score JSON lines from stdin to stdout (same as `pantau score`)."""
    from app.scoring import load_scorer
    from app.scoring.stream import run_score_stream

    threads = get_settings().encoder_threads_for(one_process=True)
    stream = run_score_stream(sys.stdin, sys.stdout, load_scorer(artifact), encoder_threads=threads)
    raise typer.Exit(stream)
