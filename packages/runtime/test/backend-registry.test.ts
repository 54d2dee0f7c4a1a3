import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Backend, registerBackend, registeredDevices } from '../src/index.js';

const unusable: Backend = {
  provider: 'none',
  async createSession() {
    throw new Error('this test backend runs nothing');
  },
  createTensor: (type, data, dims) => ({ type, data, dims }),
};

describe('the backend registry', () => {
  test('a device name registers once; a second registration throws and changes nothing', () => {
    const before = registeredDevices();
    assert.ok(before.includes('cpu'), 'the node entry registered cpu on import');
    assert.throws(
      () => registerBackend('cpu', unusable, 1000),
      (error: unknown) => error instanceof Error && /device 'cpu' is already registered/.test(error.message),
    );
    assert.deepEqual(registeredDevices(), before);
  });

  test('a new name takes its place by priority', () => {
    registerBackend('test-lowest', unusable, -1);
    assert.equal(registeredDevices().at(-1), 'test-lowest');
    assert.throws(() => registerBackend('test-lowest', unusable, -1), /already registered/);
  });
});
