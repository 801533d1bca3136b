// What the LQ game's own configuration fields mean (`neural-mfg config lq`).
export const lqFields: Record<string, string> = {
  'mechanics.target': 'target ξ: each agent pays (a/2)(x − ξ)² for its distance to it',
  'mechanics.targetWeight': 'weight a of the squared distance to the target (the mean relaxes at rate a)',
  'mechanics.meanWeight': 'weight b of the squared distance to the population mean (the spread relaxes at rate a + b)',
  'initial.mean': 'mean of the initial positions x₀ ~ N(mean, std²)',
  'initial.std': 'standard deviation of the initial positions',
  'data.mean': 'generator: mean of the observed final positions, i.i.d. N(mean, std²) per agent',
  'data.std': 'generator: standard deviation of the observed final positions',
  'data.range': 'the range [min, max] an observed position must lie in (default [-1000000, 1000000], far beyond the presets\' scale); a data file with a value outside it is refused, naming its line',
};
