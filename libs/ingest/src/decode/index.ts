export * from './payload-decoder';
export * from './decoder-factory';
export type { DecodedColumns } from './columns-builder';
export { JsDecoder } from './js-decoder';
export { WasmDecoder } from './wasm-decoder';
export * from './producer-layouts';
