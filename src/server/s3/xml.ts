// S3 speaks XML. Responses are built here from plain objects (an array under a key repeats the
// element, as in <Contents>…</Contents><Contents>…</Contents>); request bodies (DeleteObjects,
// CompleteMultipartUpload) are parsed with fast-xml-parser, with entities and DOCTYPEs off.
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './s3-errors.ts';

export type XmlValue = string | number | boolean | undefined | XmlElement | XmlValue[];
export interface XmlElement {
  [name: string]: XmlValue;
}

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

function render(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) render(name, v, out);
    return;
  }
  if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [k, v] of Object.entries(value)) render(k, v, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/** A whole response document; `namespaced` adds S3's xmlns on the root (success bodies carry it, errors do not). */
export function xmlDocument(root: string, body: XmlElement, namespaced = false): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>\n', namespaced ? `<${root} xmlns="${S3_NS}">` : `<${root}>`];
  for (const [k, v] of Object.entries(body)) render(k, v, out);
  out.push(`</${root}>`);
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: true,
  // Character references (&#34; for a quote, as Go's encoder writes every ETag) are XML, not HTML,
  // but this parser decodes them only with this on.
  htmlEntities: true,
  parseTagValue: false,
  trimValues: false,
  // Elements that may repeat come back as arrays even when there is one.
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** The document's root element as an object; MalformedXML when it is not XML or not `root`. */
export function parseXml(text: string, root: string): XmlElement {
  // S3 bodies never declare entities; refusing DOCTYPEs rules out entity-expansion attacks.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error('MalformedXML', 'The XML you provided must not declare a DOCTYPE or entities.');
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const element = (doc as Record<string, unknown> | undefined)?.[root];
  if (typeof element !== 'object' || element === null) throw new S3Error('MalformedXML', `The XML you provided has no <${root}> element.`);
  return element as XmlElement;
}
