"""What usually fixes a failing criterion, in the words of the users' guide."""

from __future__ import annotations

REMEDIES: dict[str, str] = {
    "ambient_fa_per_hour": (
        "too many false wakes: add background/ambient audio and hard negatives to the "
        "training data, and raise the model's probability cutoff; judge FA/h on enough "
        "ambient hours that one false activation is well below the target"),
    "f1": "precision and recall are out of balance (imbalanced classes): adjust the class weights",
    "recall": "the model misses the wake word (false negatives): add positive samples",
    "precision": "the model triggers falsely (false positives): add negative samples",
    "accuracy": "add more data and raise augmentation",
    "auc_roc": "the scores separate the classes poorly: more and more varied data, more steps",
    "auc_pr": "the scores separate the classes poorly: more and more varied data, more steps",
    "loss": ("loss > 0.5 means the learning rate is too low or the data has a problem; "
             "< 0.01 warns of overfitting"),
}

GAP_REMEDY = (
    "validation falls behind training (overfitting): add data and augmentation, stop "
    "earlier (use the best checkpoint), or regularise more (dropout, weight decay)")

TREND_REMEDY = (
    "validation loss rising while training loss falls means overfitting has started: stop "
    "earlier or add data and augmentation; a curve that oscillates means the learning rate "
    "is too high")

STAGNATION_REMEDY = (
    "the loss is stuck: raise the learning rate (e.g. 0.0001 → 0.001), add data, raise "
    "augmentation")

FA_WITH_GOOD_ACCURACY = (
    "validation accuracy is high but FA/h is high: accuracy is dominated by short clips, "
    "while FA/h counts false wakes over hours of ambient audio; add background/ambient "
    "audio and hard negatives, and raise the model's threshold")


def remedy_for(metric: str) -> str:
    return REMEDIES.get(metric, "")
