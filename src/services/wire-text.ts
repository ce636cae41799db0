// Strings in gRPC and Connect messages decoded as core/input/utf8.ts decodes request text: invalid
// UTF-8 is kept visible (as lone surrogates) for the field's own check to refuse, instead of
// failing the whole message as an internal error (binary) or becoming U+FFFD (JSON).
import type { JsonReadOptions } from '@bufbuild/protobuf';
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';
import { utf8Text } from '../core/input/utf8.ts';

const standard = getTextEncoding();
// Deprecated only as a polyfill hook; it is the one place protobuf-es lets a decoder be chosen.
// checkUtf8 passes everything so that JSON messages reach the same checks as binary ones (every
// name goes through validateName) instead of failing with protobuf's own wording.
configureTextEncoding({ checkUtf8: () => true, encodeUtf8: standard.encodeUtf8, encodeUtf8Into: standard.encodeUtf8Into, decodeUtf8: (bytes) => utf8Text(bytes) });

/** For connect's jsonOptions: the Connect protocol's JSON bodies, decoded the same way. */
export const jsonTextOptions: Partial<JsonReadOptions> & { textDecoder: { decode(data: Uint8Array): string } } = {
  textDecoder: { decode: (data) => utf8Text(data) },
};
