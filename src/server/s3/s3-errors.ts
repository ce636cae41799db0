// S3's error responses: an XML body with Code, Message, Resource and RequestId, and the HTTP status
// AWS documents for each code (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
// Every refusal of the S3 front end is an S3Error; anything else becomes InternalError.
import { DcsError, FileNotFoundError, RangeNotSatisfiableError, UsageError } from '../../core/errors.ts';

const STATUS = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof STATUS;

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements of the error document (e.g. the bucket name, the expected signature's string to sign is never sent). */
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: S3ErrorCode, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = 'S3Error';
    this.code = code;
    this.status = STATUS[code];
    this.fields = fields;
  }
}

/** The S3 error for anything a handler threw: S3Errors as they are, dcs's typed errors mapped, the rest internal. */
export function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof FileNotFoundError) return new S3Error('NoSuchKey', 'The specified key does not exist.');
  if (err instanceof RangeNotSatisfiableError) return new S3Error('InvalidRange', 'The requested range is not satisfiable');
  if (err instanceof UsageError) return new S3Error('InvalidArgument', err.message);
  // Not enough backends answer: the client should retry later, as S3 asks with 503.
  if (err instanceof DcsError && ['SHUTTING_DOWN', 'INSUFFICIENT_BACKENDS', 'CHUNK_UNAVAILABLE'].includes(err.code)) {
    return new S3Error('ServiceUnavailable', 'Please retry: not enough storage backends answer right now.');
  }
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.');
}
