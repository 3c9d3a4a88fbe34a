/** When tracing is on, and where its spans go: the OpenTelemetry variables, read as every SDK reads them. */
import { tracingConfig } from './config';

describe('tracingConfig', () => {
  it('is off without an OTLP endpoint, or with OTEL_SDK_DISABLED', () => {
    expect(tracingConfig({}, 'tugboat')).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, 'tugboat')).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as given, named by OTEL_SERVICE_NAME or the default', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'tugboat-worker')).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'tugboat-worker',
    });
    expect(
      tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/ingest', OTEL_SERVICE_NAME: 'deployer' }, 'tugboat'),
    ).toEqual({ tracesUrl: 'https://otel.example/ingest', serviceName: 'deployer' });
  });

  it('names the variable and an example when the endpoint is not an http(s) URL', () => {
    expect(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'tugboat')).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
    );
    expect(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'tugboat')).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT is not a URL: "not a url" \(e\.g\. http:\/\/127\.0\.0\.1:4318/,
    );
  });
});
