package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class StoreTest {

    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void openingMigratesOneSchemaOnEitherDatabase(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp);
             Connection c = stores.store().connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM audit_event")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
            assertThat(stores.store().dialect()).isEqualTo(dialect);
            assertThat(stores.store().check()).isNull();
        }
    }

    @Test
    void h2sValueCacheIsTurnedOffUnlessTheOperatorSetIt() {
        String before = System.getProperty(Store.H2_OBJECT_CACHE);
        try {
            System.clearProperty(Store.H2_OBJECT_CACHE);
            Store.keepH2FromCachingValues();
            assertThat(System.getProperty(Store.H2_OBJECT_CACHE)).isEqualTo("false");

            System.setProperty(Store.H2_OBJECT_CACHE, "true");
            Store.keepH2FromCachingValues();
            assertThat(System.getProperty(Store.H2_OBJECT_CACHE)).as("the operator's -Dh2.objectCache wins")
                    .isEqualTo("true");
        } finally {
            if (before == null) {
                System.clearProperty(Store.H2_OBJECT_CACHE);
            } else {
                System.setProperty(Store.H2_OBJECT_CACHE, before);
            }
        }
    }

    @Test
    void theEmbeddedDefaultIsAnH2FileUnderTheDataDirectory() {
        StoreSettings settings = StoreSettings.embedded(temp.resolve("data"));

        assertThat(settings.url()).isEqualTo("jdbc:h2:file:" + temp.resolve("data/store/gatehouse"));
        assertThat(settings.dialect()).isEqualTo(Dialect.H2);
    }

    @Test
    void anUnreachableStoreIsNamedWithoutItsCredentials() {
        StoreSettings settings = new StoreSettings("jdbc:postgresql://127.0.0.1:1/gatehouse?password=hunter2", "gw",
                "hunter2", 2);

        assertThatThrownBy(() -> Store.open(settings)).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("cannot connect to the store jdbc:postgresql://127.0.0.1:1/gatehouse: ")
                .hasMessageNotContaining("hunter2");
        assertThat(settings.toString()).isEqualTo(
                "StoreSettings[url=jdbc:postgresql://127.0.0.1:1/gatehouse, username=gw, password=redacted, poolSize=2]");
    }

    @Test
    void onlyH2AndPostgresqlUrlsAreAccepted() {
        assertThatThrownBy(() -> new StoreSettings("jdbc:mysql://db/x?password=p", null, null, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("store url must be a jdbc:h2: or jdbc:postgresql: URL, got 'jdbc:mysql://db/x'");
    }
}
