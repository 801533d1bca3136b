// The exit statuses a run ends with besides 0 (and 2, an error in the request or its input): a
// module of their own, light enough for a pool process to read before it loads the run layer.

/** A run stopped because the loss or the weights became NaN or infinite. */
export const EXIT_DIVERGED = 3;
/** A run stopped by Ctrl-C or SIGTERM (a training: after saving a checkpoint). */
export const EXIT_INTERRUPTED = 130;
