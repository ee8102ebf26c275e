/**
 * Zip archives, as data packages need them: writing a few entries at once (deflated, CRC-32 from
 * zlib), and reading every entry of a small archive (yauzl, the reader the Excel input uses).
 * A data package is written whole in memory: its size is bounded by the journals of one package.
 */
import { crc32, deflateRawSync } from "node:zlib";
import yauzl from "yauzl";

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** DOS date and time fields of a JavaScript date (local time, as zip tools read them). */
function dosDateTime(date: Date): { time: number; day: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** A zip of the entries, each deflated; names in UTF-8 (flag bit 11). */
export function writeZip(entries: readonly ZipEntry[], modified = new Date()): Buffer {
  const { time, day } = dosDateTime(modified);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const packed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    // The fields the local header and the central directory share, from "version needed" on.
    const common = (record: Buffer, at: number) => {
      record.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
      record.writeUInt16LE(0x0800, at + 2); // UTF-8 names
      record.writeUInt16LE(8, at + 4); // deflate
      record.writeUInt16LE(time, at + 6);
      record.writeUInt16LE(day, at + 8);
      record.writeUInt32LE(crc, at + 10);
      record.writeUInt32LE(packed.length, at + 14);
      record.writeUInt32LE(entry.data.length, at + 18);
      record.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    common(local, 4);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    common(central, 6);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
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

/** Every entry of a zip held in memory, by name; rejects what is not a readable zip. */
export async function readZip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}
