// What the meeting game's own configuration fields mean (`neural-mfg config meeting`).
export const meetingFields: Record<string, string> = {
  'mechanics.scheduledTime': 'scheduled start s of the meeting, in hours',
  'mechanics.quantile': 'fraction q of arrivals at which the meeting actually starts (T = the q-quantile of the arrival times)',
  'mechanics.alpha': 'weight α of being late with respect to the scheduled time s (reputation)',
  'mechanics.beta': 'weight β of being late with respect to the actual start T (personal inconvenience)',
  'mechanics.gamma': 'weight γ of being early with respect to T (waiting time)',
  'initial.mean': 'mean of the initial arrival times x₀ ~ N(mean, std²)',
  'initial.std': 'standard deviation of the initial arrival times',
  'data.mean': 'generator G: mean μ of the group means μ_j ~ N(μ, σ²)',
  'data.std': 'generator G: standard deviation σ of the group means',
  'data.gammaShape': 'generator G: shape k of the group variances v_j ~ Gamma(k, θ)',
  'data.gammaScale': 'generator G: scale θ of the group variances',
  'data.groups': 'generator G: number of groups N (agent i belongs to group i mod N)',
  'data.perGroup': 'generator G: draws M of the group vector (agents = N·M)',
  'data.range': 'the range [min, max] an observed arrival time must lie in, in hours (a time of day: [0, 24]); a data file with a value outside it is refused, naming its line',
};
