/** Model spec files the packages' tests share, read through `@cnnx/train`'s `readModelSpec` as a user's would be. */
import { fileURLToPath } from 'node:url';

/**
 * A small residual net (two convs joined by an Add, a max-pool, dropout, a softmax dense layer): fast enough
 * to train a few hundred digits on every engine, even tfjs's `cpu` backend.
 *
 * @example
 * const model = buildModel(await readModelSpec(RESIDUAL_SPEC_FILE), { inputShape: [28, 28, 1], numClasses: 10 });
 */
export const RESIDUAL_SPEC_FILE = fileURLToPath(new URL('../specs/residual.json', import.meta.url));
