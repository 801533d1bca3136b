// The network on TF.js, for the graph engine: the flat parameter vector of spec.ts split into
// layers, and the activations as TF.js ops (autodiff differentiates through them).
import { tf, type Tensor } from '../tf.ts';
import { layerShapes, type Activation, type MlpSpec } from './spec.ts';

export function applyActivation(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'softplus':
      return tf.softplus(x);
    case 'identity':
      return x;
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
    case 'leaky-relu':
      return tf.leakyRelu(x, 0.01);
    case 'sigmoid':
      return tf.sigmoid(x);
  }
}

/**
 * Splits the flat vector into layers once and returns the network as a function of its input
 * [batch, inputSize] → [batch, outputSize]. Call inside the tidy scope that uses it.
 */
export function bindMlp(spec: MlpSpec, params: Tensor): (x: Tensor) => Tensor {
  const layers: { w: Tensor; b: Tensor }[] = [];
  let offset = 0;
  for (const [fanIn, fanOut] of layerShapes(spec)) {
    const w = tf.reshape(tf.slice(params, [offset], [fanIn * fanOut]), [fanIn, fanOut]);
    offset += fanIn * fanOut;
    const b = tf.slice(params, [offset], [fanOut]);
    offset += fanOut;
    layers.push({ w, b });
  }
  return (x: Tensor) => {
    let h = x;
    layers.forEach(({ w, b }, i) => {
      const a = i === layers.length - 1 ? spec.outputActivation : spec.activation;
      h = applyActivation(tf.add(tf.matMul(h, w), b), a);
    });
    return h;
  };
}
