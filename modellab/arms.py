"""The arms of a comparison in words drawn from their settings: each arm's label, what they share, what differs, and
what pre-training and what freezing bought, measured from the runs.

Plain Python over plain data (:class:`Arm`, :class:`modellab.timing.RunTiming`), so the comparison page (built from
experiments) and the lesson's measured reference (built from lesson content) say the same things the same way.
No sentence about the arms is fixed text: each is built from their settings, so two arms that differ in two things
are said to, and an arm is called pre-trained only when it starts from pre-trained weights (the Tiny CNN has none).

The two effects, each read from the pair of arms that differ in it alone:

* pre-training: an arm that trains every layer from pre-trained weights (``finetune_all``) against ``scratch``
  with every other setting equal; it bought the accuracy after epoch 1, and the epochs and seconds to a target;
* freezing: ``features`` against ``finetune_all`` from the same weights with every other setting equal; it bought
  seconds per epoch (after a one-off feature extraction).

A third pair, augmentation: the same arm without and with it (every other setting equal); what it did is read from
the runs' final validation accuracy and, for frozen features, the longer extraction of the cached views.
"""

from __future__ import annotations

from dataclasses import dataclass

from modellab.timing import RunTiming, duration

SCRATCH, FEATURES, FINETUNE_ALL = "scratch", "features", "finetune_all"
AUGMENTATION = "augmentation"  # the fact an augmentation comparison differs in (selectors.experiment_arm)

LAYERS_TRAINED = {  # what each strategy trains, as the pages say it
    "features": "only a new head, on the frozen backbone's features computed once",
    "finetune": "the backbone's last block and a new head, the rest frozen",
    "finetune_all": "every layer",
    "scratch": "every layer",
}
_IN_LABEL = {"features": "frozen features", "finetune": "last block fine-tuned", "finetune_all": "every layer fine-tuned"}


def backbone_has_pretrained_weights(backbone: str) -> bool:
    """Whether the registry's backbone ``backbone`` has pre-trained weights (the Tiny CNN: a fixed random init)."""
    from modellab.engine.backbones import get_spec

    try:
        return get_spec(backbone).weights_sha256 is not None
    except KeyError:
        return False


def starts_pretrained(strategy: str, backbone: str) -> bool:
    """Whether a run starts from pre-trained weights: its strategy keeps the backbone's weights, and they are pre-trained."""
    return strategy != SCRATCH and backbone_has_pretrained_weights(backbone)


def arm_label(strategy: str, pretrained: bool, *, augment: bool = False, per_class: int | None = None) -> str:
    """``Pre-trained (every layer fine-tuned)``, ``Random init (frozen features)`` (a backbone without
    pre-trained weights), ``From scratch``; ``..., augmented`` when the arm augments its training images;
    ``..., 10 per class`` when a measured arm trained on at most that many images of each class."""
    augmented = (", augmented" if augment else "") + (f", {per_class} per class" if per_class else "")
    if strategy == SCRATCH:
        return f"From scratch{augmented}"
    what = _IN_LABEL.get(strategy, strategy)
    if not pretrained:
        what = what.replace("fine-tuned", "trained")
    return f"{'Pre-trained' if pretrained else 'Random init'} ({what}){augmented}"


def augmentation_words(augment: bool, strategy: str) -> str:
    """A run's augmentation in words: ``none``; a random crop and flip of the training images, which with frozen
    features are the engine's fixed views, extracted once and cached (``RunConfig.augment_views``, default 2)."""
    if not augment:
        return "none"
    if strategy != FEATURES:
        return "a new random crop and flip of each training image every epoch"
    from modellab.engine.config import RunConfig

    views = RunConfig.__dataclass_fields__["augment_views"].default
    return f"random crop and flip, {views} fixed views of each image extracted once and cached beside the original"


def starting_weights(strategy: str, pretrained: bool) -> str:
    """Where an arm's weights start, in words."""
    if strategy == SCRATCH:
        return "random, drawn from the seed"
    return "pre-trained" if pretrained else "the backbone's fixed random initialisation (it has no pre-trained weights)"


@dataclass(frozen=True)
class Arm:
    """One run of a comparison as the sentences need it."""

    name: str  # how a sentence names the run: "#12", or a measured run's label
    strategy: str
    pretrained: bool  # starts from pre-trained weights (starts_pretrained)
    settings: tuple[tuple[str, str], ...]  # (setting, its value in words), the same settings in the same order for every arm
    augment: bool = False  # augments its training images (its words are the setting AUGMENTATION)

    @property
    def label(self) -> str:
        return arm_label(self.strategy, self.pretrained, augment=self.augment)

    def facts(self) -> tuple[tuple[str, str], ...]:
        """Every setting, then where its weights start and which layers train."""
        return self.settings + (
            ("starting weights", starting_weights(self.strategy, self.pretrained)),
            ("layers trained", LAYERS_TRAINED.get(self.strategy, self.strategy)),
        )

    def equal_but(self, other: Arm, *what: str) -> bool:
        """Whether the two arms have the same facts except ``what``."""
        return [f for f in self.facts() if f[0] not in what] == [f for f in other.facts() if f[0] not in what]


def _names(arms: list[Arm]) -> str:
    names = [a.name for a in arms]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def shared_sentence(arms: list[Arm]) -> str:
    """``Same in every run: network EfficientNet-Lite0, ..., seed 0.``; "" when they share nothing."""
    if not arms:
        return ""
    same = [f"{key} {value}" for key, value in arms[0].facts() if all(dict(a.facts())[key] == value for a in arms)]
    return f"Same in every run: {', '.join(same)}." if same else ""


_SINGULAR = ("network", "learning rate", "batch size", "optimizer", "input size", AUGMENTATION)


def difference_sentences(arms: list[Arm]) -> list[str]:
    """One sentence per fact the arms do not share: ``Starting weights differ: pre-trained in #1 and #3; ... in #2.``"""
    sentences = []
    for key, _ in arms[0].facts() if arms else ():
        groups: dict[str, list[Arm]] = {}
        for a in arms:
            groups.setdefault(dict(a.facts())[key], []).append(a)
        if len(groups) > 1:
            parts = "; ".join(f"{value} in {_names(group)}" for value, group in groups.items())
            verb = "differs" if key in _SINGULAR else "differ"
            sentences.append(f"{key[0].upper()}{key[1:]} {verb}: {parts}.")
    return sentences


def pretraining_pair(arms: list[Arm]) -> tuple[int, int] | None:
    """Indexes of an arm trained every layer from pre-trained weights and the from-scratch arm equal to it in
    every other fact; None when the comparison has no such pair."""
    for i, a in enumerate(arms):
        for j, b in enumerate(arms):
            if a.strategy == FINETUNE_ALL and a.pretrained and b.strategy == SCRATCH and a.equal_but(b, "starting weights"):
                return i, j
    return None


def freezing_pair(arms: list[Arm]) -> tuple[int, int] | None:
    """Indexes of a frozen-features arm and an every-layer arm from the same weights, equal in every other fact."""
    for i, a in enumerate(arms):
        for j, b in enumerate(arms):
            if a.strategy == FEATURES and b.strategy == FINETUNE_ALL and a.equal_but(b, "layers trained"):
                return i, j
    return None


def augmentation_pair(arms: list[Arm]) -> tuple[int, int] | None:
    """Indexes of an arm without augmentation and the same arm with it, equal in every other fact."""
    for i, a in enumerate(arms):
        for j, b in enumerate(arms):
            if not a.augment and b.augment and a.equal_but(b, AUGMENTATION):
                return i, j
    return None


def headline_pair(arms: list[Arm]) -> tuple[int, int] | None:
    """The pair the headline compares: the pre-training pair, else the first other arm against the first from scratch."""
    pair = pretraining_pair(arms)
    if pair:
        return pair
    other = next((i for i, a in enumerate(arms) if a.strategy != SCRATCH), None)
    scratch = next((i for i, a in enumerate(arms) if a.strategy == SCRATCH), None)
    return (other, scratch) if other is not None and scratch is not None else None


def _epochs_to(t: RunTiming, target: float) -> int | None:
    return next((p.epoch for p in t.points if p.val_accuracy >= target - 1e-9), None)


def _reach(name: str, t: RunTiming, target: float) -> str:
    """``#1 took 1 epoch and 20 s``, ``#2 never got there in 5 epochs``, ``#2 has not yet (2 of 5 epochs done)``."""
    epoch, seconds = _epochs_to(t, target), t.time_to(target)
    if epoch is None:
        if t.finished:
            return f"{name} never got there in {len(t.points)} epoch{'s' if len(t.points) != 1 else ''}"
        return f"{name} has not yet ({len(t.points)} of {t.epochs_planned} epochs done)"
    return f"{name} took {epoch} epoch{'s' if epoch != 1 else ''} and {duration(seconds)}"


def pretraining_effect(arms: list[Arm], timings: list[RunTiming]) -> str:
    """What pre-training bought, from the pre-training pair's runs; or why this comparison cannot say ("" for a
    comparison of augmentation alone)."""
    pair = pretraining_pair(arms)
    if pair is None:
        if augmentation_pair(arms) is not None and not any(a.strategy == SCRATCH for a in arms):
            return ""  # a comparison of augmentation, not of starting weights: augmentation_effect says what it shows
        if not any(a.pretrained for a in arms):
            return "No run here starts from pre-trained weights, so this comparison cannot show what pre-training buys."
        return (
            "No two runs here differ only in their starting weights, so the gap between them is not pre-training's "
            "alone. For that, compare fine-tuning every layer from pre-trained weights with from scratch."
        )
    (a, b), (ta, tb) = (arms[i] for i in pair), (timings[i] for i in pair)
    if not ta.points or not tb.points:
        return f"What pre-training bought ({a.name} against {b.name}) is stated once both have finished an epoch."
    target = ta.points[0].val_accuracy
    return (
        f"What pre-training bought ({a.name} against {b.name}, which differ only in their starting weights): "
        f"validation accuracy after epoch 1 of {ta.points[0].val_accuracy:.2f} against {tb.points[0].val_accuracy:.2f}; "
        f"to reach {target:.2f} (the first's accuracy after epoch 1), {_reach(a.name, ta, target)}, "
        f"{_reach(b.name, tb, target)}."
    )


def seconds_per_epoch(t: RunTiming) -> float | None:
    """Seconds between the ends of the first and the last epoch, per epoch between them (start-up and extraction
    left out); None before two epochs have their times."""
    timed = [p for p in t.points if p.elapsed is not None]
    if len(timed) < 2:
        return None
    return (timed[-1].elapsed - timed[0].elapsed) / (timed[-1].epoch - timed[0].epoch)


def _per_epoch(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 1 else duration(seconds)


def freezing_effect(arms: list[Arm], timings: list[RunTiming]) -> str:
    """What freezing bought (seconds per epoch), from the freezing pair's runs; "" when the comparison has no such pair."""
    pair = freezing_pair(arms)
    if pair is None:
        return ""
    (a, b), (ta, tb) = (arms[i] for i in pair), (timings[i] for i in pair)
    sa, sb = seconds_per_epoch(ta), seconds_per_epoch(tb)
    if sa is None or sb is None:
        return f"What freezing bought ({a.name} against {b.name}) is stated once both have finished two epochs."
    extraction = f", after a one-off feature extraction of {duration(ta.extraction)}" if ta.extraction else ""
    return (
        f"What freezing bought ({a.name} against {b.name}, which start from the same weights and differ only in the "
        f"layers trained): {_per_epoch(sa)} per epoch against {_per_epoch(sb)}{extraction}."
    )


def augmentation_effect(arms: list[Arm], timings: list[RunTiming]) -> str:
    """What augmentation did to the final validation accuracy, from the augmentation pair's runs; "" when the
    comparison has no such pair. Extraction times are not compared: the first run to extract also pays one-off
    costs (decoding the images, preparing the backbone) that the other reuses."""
    pair = augmentation_pair(arms)
    if pair is None:
        return ""
    (a, b), (ta, tb) = (arms[i] for i in pair), (timings[i] for i in pair)
    if not (ta.finished and tb.finished and ta.points and tb.points):
        return f"What augmentation did ({b.name} against {a.name}) is stated once both have finished."
    return (
        f"What augmentation did ({b.name} against {a.name}, which differ only in augmentation): validation accuracy "
        f"after epoch {tb.points[-1].epoch} of {tb.points[-1].val_accuracy:.2f} against "
        f"{ta.points[-1].val_accuracy:.2f} after epoch {ta.points[-1].epoch}."
    )


def effect_sentences(arms: list[Arm], timings: list[RunTiming]) -> list[str]:
    """What pre-training, freezing and augmentation did in this comparison, each stated when it can be."""
    sentences = (effect(arms, timings) for effect in (pretraining_effect, freezing_effect, augmentation_effect))
    return [text for text in sentences if text]
