export const version = '0.1.0';
export * from './metrics/index.js';
