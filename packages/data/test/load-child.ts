/**
 * Run as a child process by the tests: loads each dataset spec given (as `SPEC|SPLIT`) and prints one JSON line
 * per spec with its count or its error, then the process's peak resident memory.
 */
import { loadDataset } from '../src/index.js';

for (const argument of process.argv.slice(2)) {
  const [spec, split] = argument.split('|') as [string, 'train' | 'test' | undefined];
  try {
    const dataset = await loadDataset(spec, split ? { split } : {});
    console.log(JSON.stringify({ spec, count: dataset.count, shape: dataset.shape }));
  } catch (error) {
    const { name, message } = error as Error;
    console.log(JSON.stringify({ spec, error: name, message }));
  }
}
// ru_maxrss is in kilobytes on Linux
console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
