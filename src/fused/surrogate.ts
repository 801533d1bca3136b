// The derivative of an indicator with respect to its threshold, for the inverse problem (train
// --learn): d/ds 1[x ≥ s] is a Dirac delta at x = s, zero almost everywhere, so the exact pathwise
// gradient of a solve whose drift is made of indicators never moves s. The reverse pass uses a
// smoothed delta instead, the logistic density of width w (the derivative of the sigmoid σ((x − s)/w)):
// the gradient of the solve in which each indicator is that sigmoid, as a straight-through estimator
// does it. Forward values stay exact; only ∂b/∂θ uses it (∂b/∂x keeps the game's own convention).

/** φ_w(z) = σ(z/w)·(1 − σ(z/w))/w: symmetric, integrates to 1, tends to δ(z) as w → 0. */
export function smoothedDelta(z: number, width: number): number {
  const e = Math.exp(-Math.abs(z) / width);
  return e / (width * (1 + e) * (1 + e));
}
