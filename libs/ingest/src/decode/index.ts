export * from './payload-decoder';
export * from './decoder-factory';
export * from './columns-builder';
export * from './field-layout';
export { JsDecoder } from './js-decoder';
export { WasmDecoder } from './wasm-decoder';
export * from './producer-layouts';
