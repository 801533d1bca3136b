// The epidemic game's state and observation layouts (docs/epidemic.md §1, §5): one table of row and
// channel numbers that the mechanics, the kernels, the observations and the tests all read.

/** The rows of one state [ROWS, N]: row r holds one value per cohort j (index r·N + j). */
export const ROW = {
  /** x_j: the cohort's contact level (1 = before the pandemic); the agents' own continuous state */
  contact: 0,
  /** s_j: susceptible share */
  susceptible: 1,
  /** i_j: infected (and infectious) share */
  infected: 2,
  /** r_j: recovered share */
  recovered: 3,
  /** f_j: fatal share */
  fatal: 4,
  /** c_j: infections since the window began (its daily differences are what is confirmed) */
  infections: 5,
} as const;

export const ROWS = 6;

/** The compartments whose shares sum to 1 in every cohort (c_j counts, it is no compartment). */
export const COMPARTMENTS = [ROW.susceptible, ROW.infected, ROW.recovered, ROW.fatal] as const;

/**
 * The channels of one observed day [CHANNELS]: row 0 of a sample is the window's eve (cumulative
 * counts so far), rows 1..D the days of the window (counts on the day). −1: not known.
 */
export const CHANNEL = {
  /** daily new confirmed cases (row 0: cumulative confirmed up to the eve) */
  confirmed: 0,
  /** daily new deaths (row 0: cumulative deaths up to the eve) */
  fatal: 1,
  /** severe cases on the day (a count of people, not new ones) */
  severe: 2,
  /** the day's weight in the loss (1; a bootstrap resample counts a day 0, 1, 2, … times; row 0: 0) */
  weight: 3,
} as const;

export const CHANNELS = 4;

/** The observed series the loss compares: confirmed, fatal, severe (the weight is no series). */
export const SERIES = [CHANNEL.confirmed, CHANNEL.fatal, CHANNEL.severe] as const;

/** An unknown count (an empty cell, a day the data do not cover, a falling cumulative count). */
export const UNKNOWN = -1;

/** Days of the trailing mean the loss compares (the weekly reporting cycle: docs/epidemic.md §5). */
export const TRAILING_DAYS = 7;

/** The cost reads the force of infection per thousand (docs/epidemic.md §3): w stays of order 1. */
export const PER_MILLE = 1000;
