/** Request counters the tests read through `GET /_sandbox/stats`. */

export interface DoubleStats {
  /** Requests per kind, e.g. `v2.upload.patch`, `acr.exchange`, `entra.token`. */
  requests: Record<string, number>;
  /** Responses per `kind status`, e.g. `v2.blob.head 404`. */
  responses: Record<string, number>;
  /** Request-body bytes received on blob upload PATCH/PUT (what a push really sent). */
  blobBytesUploaded: number;
  /** Response-body bytes sent on blob GETs. */
  blobBytesDownloaded: number;
  faultsFired: Record<string, number>;
}

export class StatsRecorder {
  private stats: DoubleStats = StatsRecorder.empty();

  private static empty(): DoubleStats {
    return { requests: {}, responses: {}, blobBytesUploaded: 0, blobBytesDownloaded: 0, faultsFired: {} };
  }

  request(kind: string): void {
    this.stats.requests[kind] = (this.stats.requests[kind] ?? 0) + 1;
  }

  response(kind: string, status: number): void {
    const key = `${kind} ${status}`;
    this.stats.responses[key] = (this.stats.responses[key] ?? 0) + 1;
  }

  uploaded(bytes: number): void {
    this.stats.blobBytesUploaded += bytes;
  }

  downloaded(bytes: number): void {
    this.stats.blobBytesDownloaded += bytes;
  }

  fault(kind: string): void {
    this.stats.faultsFired[kind] = (this.stats.faultsFired[kind] ?? 0) + 1;
  }

  snapshot(): DoubleStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StatsRecorder.empty();
  }
}
