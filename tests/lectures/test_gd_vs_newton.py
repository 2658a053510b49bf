import math


def test_newton_and_gradient_descent(run_lecture):
    results, _, out = run_lecture("gd_vs_newton")
    assert (out / "gd_vs_newton.png").exists()
    one = results["part1"]
    # Newton from 1.5: 1.5 -> 17/12 -> 577/408 (the Babylonian iterates), converged in <= 4
    newton = one["newton_x0=1.5"]
    assert abs(newton["xs"][1] - 17 / 12) < 1e-12
    assert abs(newton["xs"][2] - 577 / 408) < 1e-12
    assert newton["steps_to_1e-10"] <= 4
    assert one["newton_x0=15"]["steps_to_1e-10"] <= 8
    # GD from 1.5 converges linearly with rate |1 - 2 a sqrt 2| = 0.717...
    errors = one["gd_x0=1.5"]["errors"]
    rate = errors[-1] / errors[-2]
    assert abs(rate - abs(1 - 0.2 * math.sqrt(2))) < 0.02
    assert one["gd_x0=1.5"]["steps_to_1e-10"] is None
    # ... and diverges from 15: 15 -> 15 - 0.1 * 223 = -7.3 -> ...
    gd15 = one["gd_x0=15"]["xs"]
    assert abs(gd15[1] + 7.3) < 1e-12
    assert abs(gd15[-1]) > 1e6


def test_optimal_step_matches_closed_form(run_lecture):
    results, _, _ = run_lecture("gd_vs_newton")
    two = results["part2"]
    # on 1/2 (x^2 + 10 y^2) steepest descent with exact line search alternates between
    # two step sizes; from (5, 1): g = (5, 10), a* = g'g / g'Hg = 125 / 1025
    steps = two["optimal"]["step_sizes"]
    assert abs(steps[0] - 125 / 1025) < 1e-12
    assert abs(steps[2] - steps[0]) < 1e-9 and abs(steps[3] - steps[1]) < 1e-9
    assert two["newton"]["loss"][1] < 1e-20  # one Newton step solves a quadratic
    assert two["optimal"]["loss"][-1] < two["fixed"]["loss"][-1]
