#!/usr/bin/env python3
"""nnact-train's --tune: 'off' never tunes; the default tunes at the fast
level once when the device has neither a tuning file nor a database entry,
saves it, and later runs use the file without tuning again.
Usage: train_tune.py PATH/TO/nnact-train"""
import glob, os, subprocess, sys, tempfile

train = sys.argv[1]
with tempfile.TemporaryDirectory() as cache:
    env = dict(os.environ, NNACT_CACHE_DIR=cache, NNACT_TUNING_DB="0")
    env.pop("NNACT_TUNING", None)
    env.pop("NNACT_CLBLAST_PARAMS", None)

    def run(*args):
        p = subprocess.run([train, "--data", "spiral", "--epochs", "1", *args], env=env,
                           capture_output=True, text=True, timeout=600)
        if p.returncode:
            sys.exit("nnact-train %s failed (%d):\n%s%s" % (args, p.returncode, p.stdout, p.stderr))
        return p.stdout

    def files():
        return glob.glob(os.path.join(cache, "clblast-*.params"))

    out = run("--tune", "off")
    assert "Tuning CLBlast" not in out and not files(), "--tune off tuned:\n" + out
    out = run()
    assert "Tuning CLBlast" in out and "fast level" in out, "auto did not tune:\n" + out
    assert "Tuned in" in out and len(files()) == 1, "no tuning file after auto:\n" + out
    out = run()
    assert "Tuning CLBlast" not in out, "tuned again although a file exists:\n" + out
    print("train --tune: off, auto (tuned once, then used the file): ok")
