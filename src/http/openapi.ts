import { z } from 'zod';
import { ConcatBody, JobListQuery, JobSchema, ProblemSchema, RunBody, RunResult, TrimBody, VideoListQuery, VideoSchema, page } from './schemas.js';

type Json = Record<string, unknown>;

const jsonSchema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ 'application/json': { schema } });

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

function errors(codes: Record<number, string>) {
  return Object.fromEntries(Object.entries(codes).map(([code, text]) => [code, problemResponse(text)]));
}

function queryParameters(schema: z.ZodObject): Json[] {
  const shape = jsonSchema(schema, 'input') as { properties?: Record<string, Json> };
  return Object.entries(shape.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, description: `${what} id`, schema: { type: 'string', format: 'uuid' } });
const auth = { 401: 'API_KEY is set and the request has no or a wrong bearer token' };

/** The OpenAPI 3.1 document, built from the zod schemas that validate the requests. */
export function buildOpenApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Video jobs',
      version: '1.0.0',
      description:
        'Upload videos, record trim and concat commands, run them on FFmpeg workers, follow their status and download the results. ' +
        'Errors are RFC 9457 problem documents. A body of the wrong shape (not JSON, unknown fields, wrong types, missing fields) is 400; ' +
        'a well-formed body with an unacceptable value is 422. A path id that is not a UUID is 404.',
    },
    components: {
      schemas: { Video: jsonSchema(VideoSchema), Job: jsonSchema(JobSchema), Problem: jsonSchema(ProblemSchema) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required on /api routes only when API_KEY is set.' } },
    },
    security: [{}, { bearer: [] }],
    paths: {
      '/api/videos': {
        post: {
          summary: 'Upload one video',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } },
              },
            },
          },
          responses: {
            201: { description: 'Stored and probed; `Location` names it', content: json(ref('Video')), headers: { Location: { schema: { type: 'string' } } } },
            ...errors({ 400: 'No `file` field, or a broken multipart body', 413: 'Larger than MAX_UPLOAD_BYTES', 415: 'Not a video FFmpeg can decode (text, still image, audio only)', ...auth }),
          },
        },
        get: {
          summary: 'List videos, newest first',
          parameters: queryParameters(VideoListQuery),
          responses: { 200: { description: 'A page', content: json(jsonSchema(page(VideoSchema))) }, ...errors({ 400: 'Bad query', ...auth }) },
        },
      },
      '/api/videos/concat': {
        post: {
          summary: 'Record a concat command (runs nothing)',
          requestBody: { required: true, content: json(jsonSchema(ConcatBody, 'input')) },
          responses: {
            201: { description: 'The pending job', content: json(ref('Job')) },
            ...errors({ 400: 'Malformed body', 404: 'An id is unknown (named in detail)', 409: 'An input video is failed', 422: 'Fewer than 2 or more than 100 ids, or an id that is not a UUID', ...auth }),
          },
        },
      },
      '/api/videos/{id}': {
        parameters: [idParam('Video')],
        get: { summary: 'One video', responses: { 200: { description: 'The video', content: json(ref('Video')) }, ...errors({ 404: 'Unknown video', ...auth }) } },
        delete: {
          summary: 'Delete the record and its file',
          responses: { 204: { description: 'Deleted' }, ...errors({ 404: 'Unknown video', 409: 'A job that is not finished uses or produces it', ...auth }) },
        },
      },
      '/api/videos/{id}/trim': {
        parameters: [idParam('Video')],
        post: {
          summary: 'Record a trim command (runs nothing)',
          requestBody: { required: true, content: json(jsonSchema(TrimBody, 'input')) },
          responses: {
            201: { description: 'The pending job; `Location` names it', content: json(ref('Job')) },
            ...errors({ 400: 'Malformed body', 404: 'Unknown video', 409: 'The input video is failed', 422: 'start < 0, end ≤ start, end beyond the duration of a ready input, unknown mode, or a time string that is not HH:MM:SS(.mmm)', ...auth }),
          },
        },
      },
      '/api/videos/{id}/download': {
        parameters: [idParam('Video')],
        get: {
          summary: 'Download the file (Range, If-None-Match, If-Range, HEAD)',
          responses: {
            200: { description: 'The whole file, `Content-Disposition: attachment`, strong `ETag`' },
            206: { description: 'One byte range (`Content-Range`); several ranges are answered with the whole file' },
            304: { description: 'If-None-Match matched the ETag' },
            ...errors({ 404: 'Unknown video', 409: 'Not ready (detail names the status)', 416: 'Malformed or unsatisfiable byte range', ...auth }),
          },
        },
      },
      '/api/jobs/run': {
        post: {
          summary: 'Queue every pending job, or only the named ones and the pending jobs they depend on',
          requestBody: { required: false, content: json(jsonSchema(RunBody, 'input')) },
          responses: {
            202: { description: 'Queued job ids, in the order they will be able to run', content: json(jsonSchema(RunResult)) },
            ...errors({ 400: 'Malformed body', 404: 'Unknown job id', 409: 'A named job is not pending', 503: 'Redis is unreachable; nothing was queued', ...auth }),
          },
        },
      },
      '/api/jobs': {
        get: {
          summary: 'List jobs, newest first',
          parameters: queryParameters(JobListQuery),
          responses: { 200: { description: 'A page', content: json(jsonSchema(page(JobSchema))) }, ...errors({ 400: 'Bad query', ...auth }) },
        },
      },
      '/api/jobs/{id}': {
        parameters: [idParam('Job')],
        get: { summary: 'One job', responses: { 200: { description: 'The job', content: json(ref('Job')) }, ...errors({ 404: 'Unknown job', ...auth }) } },
      },
      '/api/jobs/{id}/cancel': {
        parameters: [idParam('Job')],
        post: {
          summary: 'Cancel a pending, queued or running job and the unfinished jobs that depend on it',
          responses: { 200: { description: 'The cancelled job', content: json(ref('Job')) }, ...errors({ 404: 'Unknown job', 409: 'Already finished', ...auth }) },
        },
      },
      '/api/jobs/{id}/retry': {
        parameters: [idParam('Job')],
        post: {
          summary: 'Put a failed job back in the queue (with the failed jobs it depends on)',
          responses: { 202: { description: 'The queued job', content: json(ref('Job')) }, ...errors({ 404: 'Unknown job', 409: 'Not failed', 503: 'Redis is unreachable', ...auth }) },
        },
      },
      '/api/events': {
        get: { summary: 'Server-Sent Events: `job` and `video` events on every status or progress change', responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(auth) } },
      },
      '/api/openapi.json': { get: { summary: 'This document', security: [{}], responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
      '/healthz': { get: { summary: 'The process is up', security: [{}], responses: { 200: { description: 'Up' } } } },
      '/readyz': {
        get: { summary: 'PostgreSQL, Redis and FFmpeg are reachable', security: [{}], responses: { 200: { description: 'Ready' }, 503: problemResponse('Not ready; detail names the failing part') } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [{}], responses: { 200: { description: 'text/plain; version=0.0.4' } } } },
    },
  };
}
