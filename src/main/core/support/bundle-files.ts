import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';

/** One file of a diagnostics bundle, gzipped for the upload. */
export type GzippedFile = Readonly<{ name: string; sizeBytes: number; gzipped: Buffer }>;

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (error, zip) => (error || !zip ? reject(error ?? new Error('no zip')) : resolve(zip)));
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error('no stream')) : resolve(stream)));
  });
}

/**
 * Reads the bundle the user previewed, entry by entry, and gzips each one. The upload is built
 * from the zip itself, so what goes is exactly what the preview listed, already redacted; an
 * entry is streamed through gzip and never held uncompressed. gzip runs on libuv's thread pool,
 * so a large bundle does not stall the main process (or messaging) while it compresses.
 */
export async function gzipBundleEntries(zipPath: string, signal?: AbortSignal): Promise<GzippedFile[]> {
  const zip = await openZip(zipPath);
  const files: GzippedFile[] = [];
  return new Promise<GzippedFile[]>((resolve, reject) => {
    const fail = (error: unknown): void => {
      zip.close();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
    zip.on('error', fail);
    zip.on('end', () => resolve(files));
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) {
        zip.readEntry();
        return;
      }
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      });
      openEntry(zip, entry)
        .then((stream) => pipeline(stream, zlib.createGzip(), sink))
        .then(() => {
          files.push({ name: entry.fileName, sizeBytes: entry.uncompressedSize, gzipped: Buffer.concat(chunks) });
          if (!signal?.aborted) zip.readEntry();
        })
        .catch(fail);
    });
    zip.readEntry();
  });
}
