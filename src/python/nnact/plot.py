"""Training curves as pictures (matplotlib, imported only here).

    python3 -m nnact.plot run.csv curve.png

plots a history file of nnact-train --history (epoch, train_loss,
train_accuracy, test_loss, test_accuracy, seconds); plot_history does the
same for the list MLP.fit returns.
"""
import csv
import sys


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("nnact.plot needs matplotlib (Debian: apt-get install "
                          "python3-matplotlib): %s" % e) from e
    return plt


def read_history(path):
    """nnact-train's --history CSV as MLP.fit's history (a list of dicts)."""
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                rec = {"epoch": int(row["epoch"]), "loss": float(row["train_loss"]),
                       "accuracy": float(row["train_accuracy"]),
                       "val_loss": float(row["test_loss"]),
                       "val_accuracy": float(row["test_accuracy"]),
                       "seconds": float(row["seconds"])}
            except (KeyError, ValueError, TypeError) as e:
                raise ValueError("%s is not an nnact-train --history file (%s)" % (path, e))
            out.append(rec)
    if not out:
        raise ValueError("%s holds no epochs" % path)
    return out


def plot_history(history, path, title=None):
    """Loss and accuracy per epoch, written to path (PNG, PDF, SVG by suffix)."""
    if not history:
        raise ValueError("the history is empty")
    plt = _pyplot()
    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    a1.plot(ep, [h["loss"] for h in history], "o-", label="train")
    if "val_loss" in history[0]:
        a1.plot(ep, [h["val_loss"] for h in history], "s-", label="validation")
    a1.set_xlabel("epoch"), a1.set_ylabel("loss"), a1.legend()
    a2.plot(ep, [h["accuracy"] for h in history], "o-", label="train")
    if "val_accuracy" in history[0]:
        a2.plot(ep, [h["val_accuracy"] for h in history], "s-", label="validation")
    a2.set_xlabel("epoch"), a2.set_ylabel("accuracy"), a2.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] in ("-h", "--help"):
        print("usage: python3 -m nnact.plot HISTORY.csv OUT.png", file=sys.stderr)
        return 2
    try:
        plot_history(read_history(argv[0]), argv[1], title=argv[0])
    except (OSError, ValueError, ImportError) as e:
        print("nnact.plot: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
