/** This package's version, recorded in every run's manifest. */
export const version = '0.1.0';
