// The one place that loads TensorFlow.js. Everything else imports `tf` from here so that the
// kernels and the gradient registrations (which tfjs-core alone does not register) are present.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers registers the gradients of the core ops as a side effect.
import '@tensorflow/tfjs-layers';

// PROD silences TF.js's "install tfjs-node" banner and skips per-op debug checks.
tf.env().set('PROD', true);

export { tf };
export type Tensor = tf.Tensor;
export type Scalar = tf.Scalar;
