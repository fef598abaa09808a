"""Ensembles: one member equals the member, averaging beats the typical member on real data, votes
and their ties, save/load round trips, and mismatched members refused with the shapes named."""

import numpy as np
import pytest

from synaptica import Backprop, FormatError, LogLikelihoodCost, SGD, ShapeError, Tensor
from synaptica.io import load_model, load_tensors, save_model
from synaptica.nn import Ensemble, Linear, Module, Sequential, Softmax, mlp, module_from_config
from synaptica.ops.softmax import softmax_array
from synaptica.train import evaluate, predict, train_ensemble
from tests.conftest import REPO, run_python


def _linear_member(weight):
    """A one-layer member with the given weight (classes, inputs) and no bias: its logits are x Wᵀ."""
    weight = np.asarray(weight, dtype=np.float64)
    layer = Linear(weight.shape[1], weight.shape[0], bias=False, init="zeros", dtype=np.float64)
    layer.weight.data = weight
    return Sequential(layer)


def test_an_ensemble_of_one_equals_its_member(rng):
    x = rng.normal(size=(50, 12)).astype(np.float32)
    logits_member = mlp([12, 8, 4], "relu", rng=0)
    logits = predict(logits_member, x)
    averaged = predict(Ensemble([logits_member]), x)
    np.testing.assert_allclose(averaged, softmax_array(logits), rtol=1e-6)
    assert np.array_equal(averaged.argmax(axis=1), logits.argmax(axis=1))
    voted = predict(Ensemble([logits_member], combine="vote"), x)
    assert np.array_equal(voted, np.eye(4, dtype=np.float32)[logits.argmax(axis=1)])
    probability_member = Sequential(*mlp([12, 8, 4], "relu", rng=1).layers, Softmax())
    assert np.array_equal(predict(Ensemble([probability_member]), x), predict(probability_member, x))


def test_average_is_the_mean_of_the_members_probabilities(rng):
    x = rng.normal(size=(30, 5))
    members = [_linear_member(rng.normal(size=(3, 5))) for _ in range(3)]
    expected = np.mean([softmax_array(x @ m.layers[0].weight.data.T) for m in members], axis=0)
    np.testing.assert_allclose(predict(Ensemble(members), x), expected, rtol=1e-12)


def test_vote_takes_the_majority_and_breaks_ties_towards_the_lowest_class():
    x = np.eye(2)  # example 0 reads column 0 of each weight, example 1 column 1
    # the class each member picks, per example: member A (2, 2), B (1, 0), C (1, 2)
    a = _linear_member([[0, 0], [0, 0], [1, 1]])
    b = _linear_member([[0, 1], [1, 0], [0, 0]])
    c = _linear_member([[0, 0], [1, 0], [0, 1]])
    votes = predict(Ensemble([a, b, c], combine="vote"), x)
    np.testing.assert_allclose(votes, [[0, 2 / 3, 1 / 3], [1 / 3, 0, 2 / 3]])
    assert votes.argmax(axis=1).tolist() == [1, 2]
    tie = predict(Ensemble([a, b], combine="vote"), x)  # example 0: classes 2 and 1 tie -> 1
    assert tie.argmax(axis=1).tolist() == [1, 0]


def test_members_with_different_output_sizes_are_refused():
    with pytest.raises(ShapeError) as error:
        Ensemble([mlp([784, 30, 10], rng=0), mlp([784, 30, 10], rng=1), mlp([784, 30, 5], rng=2)])
    message = str(error.value)
    assert "members.1 gives 10" in message and "members.2 gives 5" in message and "same classes" in message

    class FirstTwo(Module):  # a layer that changes the width without saying so
        def forward(self, x):
            return x[:, :2]

    hidden = Ensemble([Sequential(Linear(4, 3, rng=0)), Sequential(Linear(4, 3, rng=1), FirstTwo())])
    with pytest.raises(ShapeError, match=r"members.0 \(5, 3\), members.1 \(5, 2\)"):
        hidden(Tensor(np.zeros((5, 4), np.float32)))


def test_bad_arguments_and_wrong_inputs_are_named():
    with pytest.raises(ValueError, match="Ensemble: needs at least one member"):
        Ensemble([])
    with pytest.raises(ValueError, match=r"Ensemble: unknown combine rule 'median'; choose from \['average', 'vote'\]"):
        Ensemble([mlp([4, 2], rng=0)], combine="median")
    with pytest.raises(ShapeError) as error:
        Ensemble([mlp([784, 10], rng=0)])(Tensor(np.zeros((3, 785), np.float32)))
    assert "members.0: layers.0: Linear(784→10) got input of shape (3, 785)" in str(error.value)


def test_repr_and_parameter_names_nest_like_sequential():
    ensemble = Ensemble([mlp([4, 3, 2], rng=0), mlp([4, 3, 2], rng=1)], combine="vote")
    assert repr(ensemble).startswith("Ensemble(combine='vote',\n  (0) Sequential(\n    (0) Linear(4→3)")
    names = [name for name, _ in ensemble.named_parameters()]
    assert names[:2] == ["members.0.layers.0.weight", "members.0.layers.0.bias"] and len(names) == 8
    ensemble.eval()
    assert not any(module.training for module in ensemble.modules())


@pytest.mark.parametrize("combine", ["average", "vote"])
def test_save_and_load_give_identical_predictions(tmp_path, fashion, combine):
    ensemble = Ensemble([mlp([784, 20, 10], "relu", rng=seed) for seed in range(3)], combine=combine)
    path = tmp_path / "ensemble.safetensors"
    save_model(path, ensemble)
    loaded, _ = load_model(path)
    x = fashion.test.x[:500]
    assert isinstance(loaded, Ensemble) and loaded.combine == combine
    assert np.array_equal(predict(loaded, x), predict(ensemble, x))
    assert "members.2.layers.2.weight" in load_tensors(path)[0]


def test_a_corrupt_ensemble_architecture_names_the_place():
    member = mlp([4, 2], rng=0).config()
    with pytest.raises(FormatError, match=r"net.safetensors: model \(Ensemble\) needs exactly a 'members' list"):
        module_from_config({"type": "Ensemble", "members": member, "combine": "average"}, source="net.safetensors")
    with pytest.raises(FormatError, match=r"model: Ensemble: unknown combine rule 'mode'"):
        module_from_config({"type": "Ensemble", "members": [member], "combine": "mode"})
    with pytest.raises(FormatError, match=r"model.members.0.layers.0 names unknown layer type 'Conv9d'"):
        module_from_config({"type": "Ensemble", "members": [{"type": "Sequential", "layers": [{"type": "Conv9d"}]}],
                            "combine": "vote"})


@pytest.mark.slow
def test_averaging_three_trained_networks_beats_the_typical_member(fashion):
    def build(seed):
        net = mlp([784, 30, 10], "relu", init="he", rng=seed)
        return net, Backprop(LogLikelihoodCost(), SGD(net.parameters(), 0.05))

    train = (fashion.train.x[:3000], fashion.train.y[:3000])
    ensemble, histories = train_ensemble(build, train, seeds=[0, 1, 2], epochs=3, batch_size=10, verbose=False)
    x, y = fashion.validation.x[:2000], fashion.validation.y[:2000]
    member_accuracies = [evaluate(member, x, y).accuracy for member in ensemble.members]
    averaged = evaluate(ensemble, x, y).accuracy
    voted = evaluate(Ensemble(ensemble.members, combine="vote"), x, y).accuracy
    print(f"\nmembers {member_accuracies}, average {averaged}, vote {voted}")
    # measured over five seed triples (0-14): the average beat the mean member by 0.011 to 0.020
    assert averaged >= np.mean(member_accuracies) + 0.005
    assert voted >= np.mean(member_accuracies)
    assert len(histories) == 3 and len({round(a, 4) for a in member_accuracies}) > 1  # the seeds differ


@pytest.mark.slow
def test_the_example_trains_members_and_saves_the_ensemble(subset_dir, tmp_path):
    out = tmp_path / "ensemble.safetensors"
    result = run_python([str(REPO / "examples" / "ensemble.py"), "--data", str(subset_dir), "--epochs", "1",
                         "--seeds", "0", "1", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    for name in ("member seed 0", "member seed 1", "mean member", "average", "vote"):
        assert f"{name}: test accuracy 0." in result.stdout
    loaded, _ = load_model(out)
    assert isinstance(loaded, Ensemble) and len(loaded.members) == 2
