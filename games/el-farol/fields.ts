// What the El Farol game's own configuration fields mean (`neural-mfg config el-farol`).
export const elFarolFields: Record<string, string> = {
  'mechanics.threshold': 'crowding threshold ϑ: the bar is pleasant while the attending fraction P ≤ ϑ',
  'mechanics.alpha': 'weight α of having gone to a crowded bar',
  'mechanics.beta': 'weight β of having stayed home while the bar was pleasant',
  'mechanics.gamma': 'weight γ of the peer-pressure (conformity) term',
  'mechanics.attendance': 'the uniforms behind the Bernoulli attendance draws: new at every drift evaluation (fresh) or one vector for the run (frozen, the reference)',
  'mechanics.clipGradient': 'gradient of the clip of the saved states to [0, 1]: zero (the reference) or straight-through',
  'initial.distribution': 'distribution of the initial probabilities p₀',
  'initial.low': 'lower bound of the initial probabilities p₀ ~ Uniform[low, high)',
  'initial.high': 'upper bound of the initial probabilities',
  'data.mean': 'generator G: mean μ of the group means (latent probabilities, clipped to [0, 1])',
  'data.std': 'generator G: standard deviation σ of the group means',
  'data.gammaShape': 'generator G: shape k of the group variances v_j ~ Gamma(k, θ)',
  'data.gammaScale': 'generator G: scale θ of the group variances',
  'data.groups': 'generator G: number of groups N',
  'data.perGroup': 'generator G: draws M of the group vector (agents = N·M)',
  'data.observations': 'attendance counts observed per sample',
};
