package com.packetpilot.agent.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Every message the app sends or accepts validates against the gateway's own schemas: TypeBox's
 * from protocol/src/agents.ts, exported as protocol/schema/agent-messages.json (a protocol test
 * keeps that file in step). The shared fixtures in protocol/fixtures/agent are checked here with
 * this JSON Schema validator and there with TypeBox's, so both read the schemas alike.
 */
public class ProtocolConformanceTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static JsonNode defs;
  static File fixtures;

  @BeforeClass
  public static void load() throws Exception {
    File schema = new File(System.getProperty("packetpilot.schema", "../protocol/schema/agent-messages.json"));
    fixtures = new File(System.getProperty("packetpilot.fixtures", "../protocol/fixtures/agent"));
    assertTrue("schema file " + schema, schema.isFile());
    JsonNode doc = JSON.readTree(schema);
    assertEquals("https://json-schema.org/draft/2020-12/schema", doc.get("$schema").asText());
    defs = doc.get("$defs");
  }

  static Set<ValidationMessage> validate(String schemaName, JsonNode message) {
    JsonNode def = defs.get(schemaName);
    assertNotNull("schema " + schemaName, def);
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(def, config);
    return schema.validate(message);
  }

  static void assertValid(String schemaName, String text) throws Exception {
    Set<ValidationMessage> errors = validate(schemaName, JSON.readTree(text));
    assertTrue(schemaName + ": " + errors + " in " + text, errors.isEmpty());
  }

  @Test
  public void sharedFixturesValidateAsTheySay() throws Exception {
    File[] files = fixtures.listFiles();
    assertNotNull("fixtures in " + fixtures, files);
    Arrays.sort(files);
    int checked = 0;
    for (File f : files) {
      if (!f.getName().endsWith(".json")) continue;
      JsonNode fixture = JSON.readTree(f);
      boolean valid = fixture.get("valid").asBoolean();
      Set<ValidationMessage> errors = validate(fixture.get("schema").asText(), fixture.get("message"));
      assertEquals(f.getName() + ": " + errors, valid, errors.isEmpty());
      checked++;
    }
    assertTrue(checked >= 10);
  }

  @Test
  public void theMessagesTheAppSendsValidate() throws Exception {
    Messages.Hello hello = new Messages.Hello("android 0.1.0", "Android 14 (API 34)", "Pixel 8",
        Arrays.asList(new Messages.Interface("wlan0", "02:00:5e:10:00:01", Arrays.asList("192.168.1.23", "fe80::1"))),
        "enforced");
    assertValid("AgentHello", Messages.hello(hello));
    assertValid("AgentMessage", Messages.hello(hello));
    String longName = new String(new char[400]).replace('\0', 'x');
    assertValid("AgentHello", Messages.hello(new Messages.Hello(longName, longName, longName,
        Collections.<Messages.Interface>emptyList(), "unavailable")));

    assertValid("AgentHeartbeat", Messages.heartbeat(1_777_000_000_123L));
    assertValid("AgentMessage", Messages.heartbeat(0));

    long p = Periods.parseIso("2026-05-01T10:00:00Z");
    UsageLedger ledger = new UsageLedger();
    ledger.observe(Arrays.asList(
        new AppTotals(p, p + Periods.BUCKET_MS, "com.google.android.youtube", "YouTube", 52428800, 1048576, 0, 0),
        new AppTotals(p, p + Periods.BUCKET_MS, "android.uid.system:1000", longName, 1, 2, 3, 4),
        new AppTotals(p, p + Periods.BUCKET_MS, "com.example.nolabel", "", 5, 0, 0, 0)));
    List<UsageLedger.Report> reports = ledger.due(p + 1000, 60_000);
    assertEquals(1, reports.size());
    String usage = Messages.appUsage(reports.get(0));
    assertValid("AgentAppUsage", usage);
    assertValid("AgentMessage", usage);
    JsonNode u = JSON.readTree(usage);
    assertEquals("2026-05-01T10:00:00.000Z", u.get("period").get("from").asText());
    assertEquals("2026-05-01T12:00:00.000Z", u.get("period").get("to").asText());
    assertEquals(256, u.get("apps").get(0).get("label").asText().length());

    assertValid("EnrollBody", Enrollment.body("ABCDE-FGHJK", "Pixel 8", "Pixel 8"));
    assertValid("EnrollBody", Enrollment.body(longName, longName, longName));
    assertValid("EnrollBody", Enrollment.body("ABCDE-FGHJK", null, null));
  }

  @Test
  public void theMessagesTheAppAcceptsAreTheGatewaysAndTheAppReadsThemAll() throws Exception {
    File[] files = fixtures.listFiles();
    Set<String> types = new TreeSet<>();
    for (File f : files) {
      JsonNode fixture = JSON.readTree(f);
      String schema = fixture.get("schema").asText();
      if (!schema.startsWith("Gateway") || !fixture.get("valid").asBoolean()) continue;
      JsonNode message = fixture.get("message");
      assertTrue(f.getName(), validate("GatewayMessage", message).isEmpty());
      Messages.Incoming in = Messages.parse(message.toString());
      assertNull(f.getName() + ": " + in.problem, in.problem);
      assertEquals(message.get("type").asText(), in.type);
      types.add(in.type);
      if (in.type.equals("policy")) {
        List<String> apps = new ArrayList<>();
        for (JsonNode a : message.get("blockedApps")) apps.add(a.asText());
        assertEquals(apps, in.blockedApps);
      }
      if (in.type.equals("welcome")) {
        assertEquals(message.get("heartbeatSeconds").asInt(), in.heartbeatSeconds);
        assertEquals(message.get("deviceId").isNull() ? -1 : message.get("deviceId").asLong(), in.deviceId);
      }
      if (in.type.equals("error") && message.has("seq")) assertEquals(message.get("seq").asLong(), in.seq);
    }
    assertEquals(new TreeSet<>(Arrays.asList("ack", "error", "policy", "welcome")), types);
    // what the app cannot read it reports as a problem, never as a message
    assertNull(Messages.parse("{\"type\":\"flows\"}").type);
    assertNull(Messages.parse("[1,2]").type);
    assertNull(Messages.parse("{\"type\":\"policy\",\"blockedApps\":\"x\"}").type);
    assertNull(Messages.parse("{\"type\":\"welcome\",\"agentId\":1,\"deviceId\":null,\"heartbeatSeconds\":0}").type);
  }

  @Test
  public void theEnrollReplyTheAppReadsIsTheGatewaysShape() throws Exception {
    JsonNode reply = JSON.readTree(new File(fixtures, "enroll-reply.json")).get("message");
    assertTrue(validate("EnrollReply", reply).isEmpty());
    Credential c = Enrollment.parseReply("http://gw", reply.toString());
    assertEquals(reply.get("agentId").asLong(), c.agentId);
  }
}
