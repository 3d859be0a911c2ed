package org.bayres.stack;

import java.util.ArrayList;
import java.util.List;

import org.apache.calcite.avatica.server.AvaticaServerConfiguration;
import org.apache.calcite.avatica.server.ServerCustomizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.phoenix.queryserver.server.ServerCustomizersFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Binds the Phoenix Query Server's HTTP connector to one address.
 *
 * <p>PQS 6.0.0 has no property for the listening address: {@code QueryServer.run} builds its
 * Avatica server with {@code HttpServer.Builder.withPort(port)} only, so Jetty listens on every
 * interface whatever {@code phoenix.queryserver.http.host} says (PQS never reads that key). Its
 * one hook is a {@link ServerCustomizersFactory} found by {@code ServiceLoader} (through
 * {@code InstanceResolver}); Avatica runs the customizers on the Jetty {@link Server} before it
 * starts, so setting the connector's host here decides the bind address.
 *
 * <p>The address is {@code bayres.queryserver.bind.host} (the stack writes 127.0.0.1); the
 * customizers PQS itself would create (client jars, /jmx) are kept.
 */
public class BindHostCustomizersFactory implements ServerCustomizersFactory {
  public static final String BIND_HOST = "bayres.queryserver.bind.host";

  @Override
  public List<ServerCustomizer<Server>> createServerCustomizers(Configuration conf,
      AvaticaServerConfiguration avaticaServerConfiguration) {
    List<ServerCustomizer<Server>> out = new ArrayList<>(new ServerCustomizersFactory.ServerCustomizersFactoryImpl()
        .createServerCustomizers(conf, avaticaServerConfiguration));
    final String host = conf.get(BIND_HOST, "").trim();
    if (!host.isEmpty()) {
      out.add(server -> {
        for (Connector connector : server.getConnectors()) {
          if (connector instanceof ServerConnector) {
            ((ServerConnector) connector).setHost(host);
          }
        }
      });
    }
    return out;
  }
}
