/** Object storage for results (BACKSERV_S3_*): endpoint, bucket and SigV4 credentials. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface S3Settings {
  endpoint: string;
  bucket: string;
  /** Key prefix inside the bucket, e.g. "results/". */
  prefix: string;
  /** Key prefix of request payloads (large data: URIs) kept out of task records, e.g. "inputs/". */
  inputsPrefix: string;
  credentials: Credentials;
  /** Lifetime of the presigned URLs that /results redirects to. */
  urlTtlS: number;
}
