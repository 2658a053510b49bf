def test_regularisers_and_early_stopping(run_lecture):
    results, printed, out = run_lecture("regularization")
    assert (out / "regularization.png").exists()
    base = results["baseline"]
    # the unregularised net overfits: its validation loss ends well above its best
    assert base["val_loss"][-1] > 1.1 * min(base["val_loss"])
    for name, history in results.items():
        # EarlyStopping(patience=5, min_delta=0) stops exactly 5 epochs after the last
        # improvement, and that improvement is the lowest validation loss seen so far
        stop, kept = history["stop_epoch"], history["kept_epoch"]
        assert stop is not None and stop == kept + 5, name
        seen = history["val_loss"][:stop]
        assert seen[kept - 1] == min(seen), name
    regularised = [results[n]["val_loss"][-1] for n in results if n != "baseline"]
    assert all(v < base["val_loss"][-1] for v in regularised)
    # augmentation makes the training task harder: the optimised loss stays higher
    for name in ("cutout 3x3", "mixup a=0.4", "dropout 0.3"):
        assert results[name]["train_loss"][-1] > 2 * base["train_loss"][-1], name
    assert "early stopping" in printed
