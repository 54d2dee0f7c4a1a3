/**
 * Compressed files that grow by gigabytes, built in milliseconds: deflate output for one block of zeros
 * repeated (each full flush resets the compressor, so the flushed bytes of equal input are equal), gzip members
 * concatenated, and zip archives written by hand so their declared sizes can say anything.
 */
import { constants, crc32, createDeflateRaw, deflateRawSync, gzipSync } from 'node:zlib';

const BLOCK = 64 * 1024 * 1024;

let zeroBlock: Buffer | undefined;

/** Raw deflate bytes of 64 MiB of zeros, ending in a full flush so copies can follow each other. */
async function deflatedZeroBlock(): Promise<Buffer> {
  if (zeroBlock) return zeroBlock;
  const deflate = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  deflate.write(Buffer.alloc(BLOCK));
  await new Promise<void>((resolve) => deflate.flush(constants.Z_FULL_FLUSH, () => resolve()));
  deflate.close();
  zeroBlock = Buffer.concat(chunks);
  return zeroBlock;
}

/**
 * A raw deflate stream of `prefix` followed by `blocks` × 64 MiB of zeros.
 *
 * @example
 * const data = await deflatedZeros(Buffer.from('hi'), 32); // inflates to 2 GiB + 2 bytes; about 2 MB
 */
export async function deflatedZeros(prefix: Uint8Array, blocks: number): Promise<Buffer> {
  const head = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  head.on('data', (chunk: Buffer) => chunks.push(chunk));
  head.write(prefix);
  await new Promise<void>((resolve) => head.flush(constants.Z_FULL_FLUSH, () => resolve()));
  head.close();
  const block = await deflatedZeroBlock();
  const final = deflateRawSync(Buffer.alloc(0)); // an empty final block
  return Buffer.concat([...chunks, ...new Array<Buffer>(blocks).fill(block), final]);
}

/**
 * A gzip file whose first member holds `prefix` and whose next members each hold 64 MiB of zeros. Node's
 * gunzip reads every member; the trailer at the end declares only the last member's 64 MiB.
 *
 * @example
 * const bomb = await gzipZeros(header, 100); // 6.25 GiB of content in about 6.5 MB
 */
export async function gzipZeros(prefix: Uint8Array, blocks: number): Promise<Buffer> {
  const block = await deflatedZeroBlock();
  const member = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]),
    block,
    deflateRawSync(Buffer.alloc(0)),
    Buffer.alloc(8), // CRC-32 and ISIZE, below
  ]);
  member.writeUInt32LE(crc32(Buffer.alloc(BLOCK)), member.length - 8);
  member.writeUInt32LE(BLOCK, member.length - 4);
  return Buffer.concat([gzipSync(prefix), ...new Array<Buffer>(blocks).fill(member)]);
}

/** One file of a hand-written zip: stored or already deflated bytes, and the size it claims. */
export interface ZipEntry {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  /** The uncompressed size to declare (the truth, or not). */
  declaredSize: number;
}

/**
 * A zip archive of the entries exactly as given (no CRC: cnnx's reader does not check it), sizes as declared.
 *
 * @example
 * writeZip([{ name: 'x.npy', data: npy, method: 0, declaredSize: npy.length }]);
 */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.method, 10);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(entry.data));
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
