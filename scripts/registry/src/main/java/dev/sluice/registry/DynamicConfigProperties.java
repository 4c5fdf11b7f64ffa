package dev.sluice.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;
import java.util.List;

/**
 * Stands in for the bean that Apicurio's config-index Quarkus extension builds at
 * augmentation time: that extension's deployment artifact is not on Maven Central,
 * so the extension is left out and no property is editable at run time (every
 * setting keeps its static value, which is all a test registry needs).
 */
@ApplicationScoped
public class DynamicConfigProperties {
  @Produces
  @ApplicationScoped
  DynamicConfigPropertyList none() {
    return new DynamicConfigPropertyList(List.of());
  }
}
